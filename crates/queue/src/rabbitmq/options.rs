//! Tuning knobs of the RabbitMQ backend.

use std::time::Duration;

/// Tuning for [`super::RabbitQueue::connect_with`]; the defaults suit production.
#[derive(Debug, Clone)]
pub struct RabbitOptions {
    pub(super) operation_deadline: Duration,
    pub(super) connect_timeout: Duration,
    pub(super) backoff_initial: Duration,
    pub(super) backoff_max: Duration,
    pub(super) connection_name: String,
}

impl Default for RabbitOptions {
    fn default() -> Self {
        RabbitOptions {
            operation_deadline: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
            backoff_initial: Duration::from_millis(100),
            backoff_max: Duration::from_secs(5),
            connection_name: "crawler".to_owned(),
        }
    }
}

impl RabbitOptions {
    /// How long `publish`, `publish_delayed`, `consume` and `depth` keep retrying through
    /// a broker outage before they return [`crate::QueueError::Unavailable`] (default 30 s).
    pub fn with_operation_deadline(mut self, deadline: Duration) -> Self {
        self.operation_deadline = deadline;
        self
    }

    /// How long one connection attempt may take (default 5 s).
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The first and the largest pause between reconnection attempts (default 100 ms and
    /// 5 s); each pause doubles the previous one, with jitter.
    pub fn with_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.backoff_initial = initial;
        self.backoff_max = max;
        self
    }

    /// The connection name shown in the broker's management UI (default "crawler").
    pub fn with_connection_name(mut self, name: impl Into<String>) -> Self {
        self.connection_name = name.into();
        self
    }
}
