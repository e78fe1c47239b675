//! Typed handles on the named queues: callers say `fetch_queue.publish(tasks)` and never
//! encode bytes or spell a queue name. The handle knows its queue's name (from the
//! namespace) and the message variant it carries, so a task can only go to the fetch queue
//! and an event only to the events queue.

use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use crawler_core::messages::DecodeError;
use crawler_core::{EventEnvelope, FetchTask, Namespace, QueueMessage};

use crate::{consume_loop, Consumer, Queue, QueueError, ReceivedMessage};

/// What one of the named queues carries.
pub trait QueueItem: Clone + Send + Sync + 'static {
    /// What the item is called in logs and errors.
    const KIND: &'static str;
    /// The queue of `namespace` that carries this item.
    fn queue_name(namespace: &Namespace) -> String;
    fn into_message(self) -> QueueMessage;
    /// The item inside `message`, or the message back when it holds something else.
    fn from_message(message: QueueMessage) -> Result<Self, Box<QueueMessage>>;
}

impl QueueItem for FetchTask {
    const KIND: &'static str = "fetch task";

    fn queue_name(namespace: &Namespace) -> String {
        namespace.fetch_queue()
    }

    fn into_message(self) -> QueueMessage {
        QueueMessage::FetchTaskV1(self)
    }

    fn from_message(message: QueueMessage) -> Result<Self, Box<QueueMessage>> {
        match message {
            QueueMessage::FetchTaskV1(task) => Ok(task),
            other => Err(Box::new(other)),
        }
    }
}

impl QueueItem for EventEnvelope {
    const KIND: &'static str = "event";

    fn queue_name(namespace: &Namespace) -> String {
        namespace.events_queue()
    }

    fn into_message(self) -> QueueMessage {
        QueueMessage::EventV1(self)
    }

    fn from_message(message: QueueMessage) -> Result<Self, Box<QueueMessage>> {
        match message {
            QueueMessage::EventV1(envelope) => Ok(envelope),
            other => Err(Box::new(other)),
        }
    }
}

/// A received message that is not what its queue carries; it is dropped (acked), since no
/// consumer could ever handle it.
#[derive(Debug, thiserror::Error)]
pub enum UnreadableMessage {
    #[error("undecodable {kind}: {error}")]
    Undecodable {
        kind: &'static str,
        error: DecodeError,
    },
    #[error("not a {kind}: {found:?}")]
    WrongKind {
        kind: &'static str,
        found: Box<QueueMessage>,
    },
}

/// One named queue carrying `M`s.
pub struct QueueHandle<M> {
    queue: Arc<dyn Queue>,
    name: String,
    carries: PhantomData<fn() -> M>,
}

/// The queue fetch tasks travel through.
pub type FetchQueue = QueueHandle<FetchTask>;
/// The queue events travel through on their way to webhooks.
pub type EventsQueue = QueueHandle<EventEnvelope>;

impl<M> Clone for QueueHandle<M> {
    fn clone(&self) -> Self {
        QueueHandle {
            queue: self.queue.clone(),
            name: self.name.clone(),
            carries: PhantomData,
        }
    }
}

impl<M: QueueItem> QueueHandle<M> {
    /// The handle on `namespace`'s queue for `M` over `queue`.
    pub fn new(queue: Arc<dyn Queue>, namespace: &Namespace) -> Self {
        QueueHandle {
            name: M::queue_name(namespace),
            queue,
            carries: PhantomData,
        }
    }

    /// The queue's name, for logs.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Queues `items` as one confirmed batch (see [`Queue::publish`]); nothing to publish
    /// is not a broker call.
    pub async fn publish(&self, items: impl IntoIterator<Item = M>) -> Result<(), QueueError> {
        let messages: Vec<Vec<u8>> = items
            .into_iter()
            .map(|item| item.into_message().encode())
            .collect();
        if messages.is_empty() {
            return Ok(());
        }
        self.queue.publish(&self.name, messages).await
    }

    /// Queues `item` to become visible after `delay`, held by the broker.
    pub async fn publish_delayed(&self, item: M, delay: Duration) -> Result<(), QueueError> {
        let message = item.into_message().encode();
        self.queue.publish_delayed(&self.name, message, delay).await
    }

    /// Starts consuming, waiting out a broker that is not reachable yet; `None` when
    /// `shutdown` came first (see [`consume_loop::start_consuming`]).
    pub async fn start_consuming<S>(
        &self,
        prefetch: u16,
        shutdown: &mut S,
    ) -> Result<Option<Box<dyn Consumer>>, QueueError>
    where
        S: Future<Output = ()> + Unpin,
    {
        consume_loop::start_consuming(&*self.queue, &self.name, prefetch, shutdown).await
    }

    /// Messages ready in the queue.
    pub async fn depth(&self) -> Result<u64, QueueError> {
        self.queue.depth(&self.name).await
    }

    /// The item a received message carries.
    pub fn decode(&self, message: &ReceivedMessage) -> Result<M, UnreadableMessage> {
        let decoded = QueueMessage::decode(&message.payload).map_err(|error| {
            UnreadableMessage::Undecodable {
                kind: M::KIND,
                error,
            }
        })?;
        // The message is handed back only when it is the wrong kind, so the usual case
        // (an event carrying a page body) is never copied.
        M::from_message(decoded).map_err(|found| UnreadableMessage::WrongKind {
            kind: M::KIND,
            found,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemoryQueue;
    use crawler_core::JobId;

    #[tokio::test]
    async fn tasks_go_to_the_namespace_fetch_queue_and_read_back() {
        let queue: Arc<dyn Queue> = Arc::new(MemoryQueue::new());
        let namespace = Namespace::new("typed");
        let fetch = FetchQueue::new(queue.clone(), &namespace);
        assert_eq!(fetch.name(), "typed.fetch");
        let task = FetchTask::seed(JobId::generate(), "http://a.test/".into());
        fetch.publish([task.clone()]).await.unwrap();
        fetch.publish(Vec::new()).await.unwrap();
        assert_eq!(fetch.depth().await.unwrap(), 1);
        let mut consumer = queue.consume("typed.fetch", 1).await.unwrap();
        let message = consumer.next().await.unwrap();
        assert_eq!(fetch.decode(&message).unwrap(), task);
        // The events queue's handle refuses what is not an event.
        let events = EventsQueue::new(queue, &namespace);
        assert!(matches!(
            events.decode(&message),
            Err(UnreadableMessage::WrongKind { kind: "event", .. })
        ));
    }
}
