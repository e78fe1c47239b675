//! The work queue, behind one small trait.
//!
//! Two implementations: [`rabbitmq::RabbitQueue`] (durable queues, persistent messages,
//! publisher confirms, manual acks, broker-held delays) for the distributed roles, and
//! [`memory::MemoryQueue`] for the embedded mode and unit tests. [`connect`] picks one;
//! nothing above this crate knows which runs.
//!
//! Semantics both implementations keep:
//! - `publish` returns only once every message of the batch is safely queued (for
//!   RabbitMQ: confirmed by the broker). On error, none of the batch may be assumed queued;
//!   callers republish the whole batch, so consumers must be idempotent.
//! - A delivery that is neither acked nor nacked before its consumer goes away (process
//!   killed, connection lost) is delivered again, with `redelivered` set.
//! - `publish_delayed` holds the message in the queue backend, not in a sleeping task of
//!   the caller, so a restarted process does not lose it (the memory backend, having no
//!   durability at all, uses a timer).
//!
//! [`consume_loop`] is the loop every consuming role runs on top of a [`Consumer`].

pub mod consume_loop;
pub mod memory;
pub mod rabbitmq;
pub mod typed;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("broker unavailable: {0}")]
    Unavailable(String),
    #[error("broker refused the operation: {0}")]
    Refused(String),
    #[error("the queue is closed")]
    Closed,
}

impl QueueError {
    /// Whether trying again later may succeed (the broker is restarting, the connection
    /// dropped) as opposed to a mistake that will fail every time.
    pub fn is_transient(&self) -> bool {
        matches!(self, QueueError::Unavailable(_))
    }
}

/// One message handed to a consumer. Dropping it without `ack` or `nack` leaves it
/// unacknowledged: the backend delivers it again once the consumer is gone.
pub struct ReceivedMessage {
    pub payload: Vec<u8>,
    /// Set when this message was delivered before and not acknowledged.
    pub redelivered: bool,
    acker: Box<dyn Acker>,
}

impl ReceivedMessage {
    pub fn new(payload: Vec<u8>, redelivered: bool, acker: Box<dyn Acker>) -> Self {
        ReceivedMessage {
            payload,
            redelivered,
            acker,
        }
    }

    /// The message's effects are done; remove it for good.
    pub async fn ack(self) -> Result<(), QueueError> {
        self.acker.ack().await
    }

    /// Give the message back to the queue for another consumer.
    pub async fn requeue(self) -> Result<(), QueueError> {
        self.acker.requeue().await
    }
}

impl std::fmt::Debug for ReceivedMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReceivedMessage")
            .field("bytes", &self.payload.len())
            .field("redelivered", &self.redelivered)
            .finish()
    }
}

#[async_trait]
pub trait Acker: Send + Sync {
    async fn ack(&self) -> Result<(), QueueError>;
    async fn requeue(&self) -> Result<(), QueueError>;
}

/// A stream of deliveries from one queue. It survives broker restarts: the backend
/// reconnects and resumes consuming behind it.
#[async_trait]
pub trait Consumer: Send {
    /// The next delivery; `None` once the consumer was closed.
    async fn next(&mut self) -> Option<ReceivedMessage>;
    /// Stops receiving new deliveries. Deliveries already handed out can still be acked;
    /// the backend hands back the ones not yet handed out.
    async fn close(&mut self);
}

#[async_trait]
pub trait Queue: Send + Sync + 'static {
    /// Queues a batch of persistent messages and waits until all are confirmed.
    async fn publish(&self, queue: &str, messages: Vec<Vec<u8>>) -> Result<(), QueueError>;

    /// Queues one message that becomes visible on `queue` after `delay`.
    async fn publish_delayed(
        &self,
        queue: &str,
        message: Vec<u8>,
        delay: Duration,
    ) -> Result<(), QueueError>;

    /// Starts consuming `queue`, with at most `prefetch` unacknowledged deliveries (a
    /// prefetch of 0 is taken as 1: every backend keeps the bound).
    async fn consume(&self, queue: &str, prefetch: u16) -> Result<Box<dyn Consumer>, QueueError>;

    /// Messages ready for delivery in `queue` (unacked ones not counted).
    async fn depth(&self, queue: &str) -> Result<u64, QueueError>;

    /// Whether the backend is reachable right now.
    async fn is_ready(&self) -> bool;
}

/// Which queue backend to use.
#[derive(Debug, Clone)]
pub enum QueueBackend {
    Memory,
    RabbitMq { url: String },
}

/// The one place that chooses the backend.
pub async fn connect(backend: &QueueBackend) -> Result<Arc<dyn Queue>, QueueError> {
    match backend {
        QueueBackend::Memory => Ok(Arc::new(memory::MemoryQueue::new())),
        QueueBackend::RabbitMq { url } => Ok(Arc::new(rabbitmq::RabbitQueue::connect(url).await?)),
    }
}
