//! How an event left the handler ([`crate::deliver`]), and why it could not be handled.

use std::time::Duration;

use crawler_queue::QueueError;
use crawler_state::StateError;

use crawler_deliveries::{DeadReason, StoreError};

/// A backend the handler needs failed; the event goes back to the queue.
#[derive(Debug, thiserror::Error)]
pub enum HandleError {
    #[error(transparent)]
    Queue(#[from] QueueError),
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How an event left the handler, for logs and tests.
#[derive(Debug, Clone, PartialEq)]
pub enum Handled {
    Delivered,
    /// No target, or the target does not get this kind.
    Filtered,
    AlreadyDelivered,
    /// A summary put back until the job's page events are settled.
    SummaryDeferred,
    /// Put back for a moment: its endpoint had all the requests in flight it may have.
    Throttled,
    Retrying {
        attempt: u32,
        delay: Duration,
    },
    DeadLettered(DeadReason),
}

impl Handled {
    /// The outcome as a metrics label.
    pub fn label(&self) -> &'static str {
        match self {
            Handled::Delivered => "delivered",
            Handled::Filtered => "filtered",
            Handled::AlreadyDelivered => "already_delivered",
            Handled::SummaryDeferred => "summary_deferred",
            Handled::Throttled => "throttled",
            Handled::Retrying { .. } => "retrying",
            Handled::DeadLettered(_) => "dead_lettered",
        }
    }
}
