//! In-memory queue for the embedded mode and unit tests.
//!
//! Each named queue is a FIFO of ready messages. A consumer moves messages into its own
//! unacknowledged set, at most `prefetch` at a time; an ack drops the message, a requeue puts
//! it back at the front. The unacknowledged set belongs to a `session::Session` shared by
//! the consumer and by every delivery it handed out, so a delivery can still be acked after
//! its consumer was closed (as the trait promises), and whatever is still unacknowledged
//! once the consumer and all its deliveries are gone returns to the queue with `redelivered`
//! set. That is what RabbitMQ does when a channel closes, so both backends behave alike.
//!
//! Nothing here is durable: delayed messages wait in a tokio timer, which also makes the
//! backend follow tokio's paused clock in tests.

mod session;

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::Notify;

use crate::{Consumer, Queue, QueueError, ReceivedMessage};
use session::Session;

/// The in-memory backend. Cloning shares the same queues.
#[derive(Clone, Default)]
pub struct MemoryQueue {
    broker: Arc<Broker>,
}

impl MemoryQueue {
    pub fn new() -> Self {
        MemoryQueue::default()
    }
}

/// Every queue of one [`MemoryQueue`], behind one lock: operations are short and never
/// await while holding it.
#[derive(Default)]
struct Broker {
    queues: Mutex<HashMap<String, QueueState>>,
    /// Numbers messages so that messages given back together keep their original order.
    next_sequence: AtomicU64,
}

#[derive(Default)]
struct QueueState {
    ready: VecDeque<Message>,
    /// Woken on every change that may let a waiting consumer take a message: a publish, a
    /// requeue, or an ack that frees a prefetch slot.
    changed: Arc<Notify>,
}

struct Message {
    sequence: u64,
    payload: Vec<u8>,
    redelivered: bool,
}

impl Broker {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, QueueState>> {
        // A panic while holding the lock cannot leave the map half updated (every update is
        // a single push or pop), so a poisoned lock is still safe to use.
        self.queues
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn push_back(&self, queue: &str, payloads: Vec<Vec<u8>>) {
        let mut queues = self.lock();
        let state = queues.entry(queue.to_owned()).or_default();
        for payload in payloads {
            let sequence = self.next_sequence.fetch_add(1, Ordering::Relaxed);
            state.ready.push_back(Message {
                sequence,
                payload,
                redelivered: false,
            });
        }
        state.changed.notify_waiters();
    }

    /// The queue's change signal, creating the queue on first use.
    fn change_signal(&self, queue: &str) -> Arc<Notify> {
        self.lock()
            .entry(queue.to_owned())
            .or_default()
            .changed
            .clone()
    }
}

#[async_trait]
impl Queue for MemoryQueue {
    async fn publish(&self, queue: &str, messages: Vec<Vec<u8>>) -> Result<(), QueueError> {
        if !messages.is_empty() {
            self.broker.push_back(queue, messages);
        }
        Ok(())
    }

    async fn publish_delayed(
        &self,
        queue: &str,
        message: Vec<u8>,
        delay: Duration,
    ) -> Result<(), QueueError> {
        if delay.is_zero() {
            self.broker.push_back(queue, vec![message]);
            return Ok(());
        }
        let broker = self.broker.clone();
        let queue = queue.to_owned();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            broker.push_back(&queue, vec![message]);
        });
        Ok(())
    }

    async fn consume(&self, queue: &str, prefetch: u16) -> Result<Box<dyn Consumer>, QueueError> {
        let changed = self.broker.change_signal(queue);
        let session = Session::new(self.broker.clone(), queue, prefetch, changed);
        Ok(Box::new(MemoryConsumer {
            session: Some(Arc::new(session)),
        }))
    }

    async fn depth(&self, queue: &str) -> Result<u64, QueueError> {
        let queues = self.broker.lock();
        let ready = queues.get(queue).map_or(0, |state| state.ready.len());
        Ok(ready as u64)
    }

    async fn is_ready(&self) -> bool {
        true
    }
}

/// A consumer of the in-memory backend. Closing or dropping it releases its share of the
/// session; the session gives back the unacknowledged messages once nobody holds it.
pub struct MemoryConsumer {
    session: Option<Arc<Session>>,
}

#[async_trait]
impl Consumer for MemoryConsumer {
    async fn next(&mut self) -> Option<ReceivedMessage> {
        let session = self.session.as_ref()?;
        loop {
            // Register interest before looking, so a change between the look and the wait
            // still wakes this consumer.
            let changed = session.changed.clone();
            let notified = changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(delivery) = Session::try_take(session) {
                return Some(delivery);
            }
            notified.await;
        }
    }

    async fn close(&mut self) {
        // Messages are only moved out of the queue when `next` hands them out, so there is
        // no buffer to give back here: dropping the session handle is the whole job.
        self.session = None;
    }
}
