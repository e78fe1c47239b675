//! The unacknowledged deliveries of one in-memory consumer.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use tokio::sync::Notify;

use super::{Broker, Message};
use crate::{Acker, QueueError, ReceivedMessage};

/// Shared by a consumer and the ackers of every delivery it handed out; see the module
/// documentation of `memory` for why.
pub(super) struct Session {
    broker: Arc<Broker>,
    queue: String,
    prefetch: usize,
    pub(super) changed: Arc<Notify>,
    unacked: Mutex<HashMap<u64, Message>>,
}

impl Session {
    pub(super) fn new(
        broker: Arc<Broker>,
        queue: &str,
        prefetch: u16,
        changed: Arc<Notify>,
    ) -> Self {
        Session {
            broker,
            queue: queue.to_owned(),
            // A prefetch of 0 would mean "never deliver"; the trait treats it as 1.
            prefetch: usize::from(prefetch.max(1)),
            changed,
            unacked: Mutex::new(HashMap::new()),
        }
    }

    fn unacked(&self) -> MutexGuard<'_, HashMap<u64, Message>> {
        // Every update is a single insert or remove, so a poisoned lock is still consistent.
        self.unacked
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Hands out the next ready message if this session has a free prefetch slot.
    pub(super) fn try_take(this: &Arc<Session>) -> Option<ReceivedMessage> {
        // Lock order everywhere: the broker's queues, then a session's unacked set.
        let mut queues = this.broker.lock();
        let mut unacked = this.unacked();
        if unacked.len() >= this.prefetch {
            return None;
        }
        let message = queues.get_mut(&this.queue)?.ready.pop_front()?;
        let delivery = ReceivedMessage::new(
            message.payload.clone(),
            message.redelivered,
            Box::new(MemoryAcker {
                session: this.clone(),
                sequence: message.sequence,
            }),
        );
        unacked.insert(message.sequence, message);
        Some(delivery)
    }

    /// Puts unacknowledged messages back at the front of the queue, oldest first.
    fn give_back(&self, sequences: Option<&[u64]>) {
        let mut queues = self.broker.lock();
        let mut unacked = self.unacked();
        let mut returned: Vec<Message> = match sequences {
            Some(sequences) => sequences.iter().filter_map(|s| unacked.remove(s)).collect(),
            None => unacked.drain().map(|(_, message)| message).collect(),
        };
        if returned.is_empty() {
            return;
        }
        returned.sort_by_key(|message| message.sequence);
        let state = queues.entry(self.queue.clone()).or_default();
        for mut message in returned.into_iter().rev() {
            message.redelivered = true;
            state.ready.push_front(message);
        }
        drop(unacked);
        drop(queues);
        self.changed.notify_waiters();
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.give_back(None);
    }
}

struct MemoryAcker {
    session: Arc<Session>,
    sequence: u64,
}

#[async_trait]
impl Acker for MemoryAcker {
    async fn ack(&self) -> Result<(), QueueError> {
        self.session.unacked().remove(&self.sequence);
        // The freed prefetch slot may let this session's consumer take another message.
        self.session.changed.notify_waiters();
        Ok(())
    }

    async fn requeue(&self) -> Result<(), QueueError> {
        self.session.give_back(Some(&[self.sequence]));
        Ok(())
    }
}
