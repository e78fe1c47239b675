//! The delivery store's capabilities, one trait each, so that a caller depends on what it
//! uses (the coordinator's replay needs dead letters, not the attempt log's writes) and a
//! backend could implement a subset honestly.

use std::time::Duration;

use async_trait::async_trait;
use crawler_core::{EventEnvelope, JobId};

use crate::endpoints::EndpointKey;
use crate::log::{LogCursor, LogEntry, LogPage};
use crate::records::{Attempt, DeadLetter, EndpointHealth, StoredBody};
use crate::StoreError;

/// Every try of every event, and which events were delivered.
#[async_trait]
pub trait AttemptLog: Send + Sync + 'static {
    /// Appends a try to the event's attempt log.
    async fn record_attempt(
        &self,
        job: JobId,
        event_id: &str,
        attempt: &Attempt,
    ) -> Result<(), StoreError>;

    /// The event's attempt log, oldest first.
    async fn attempts(&self, job: JobId, event_id: &str) -> Result<Vec<Attempt>, StoreError>;

    async fn mark_delivered(&self, job: JobId, event_id: &str) -> Result<(), StoreError>;

    async fn is_delivered(&self, job: JobId, event_id: &str) -> Result<bool, StoreError>;

    /// Counts the event as not delivered, so that it is sent again (a redelivery).
    async fn unmark_delivered(&self, job: JobId, event_id: &str) -> Result<(), StoreError>;
}

/// Which page events of a job are settled: delivered, dead-lettered, or needing no
/// delivery (filtered out). The summary waits for all of them.
#[async_trait]
pub trait SettledLog: Send + Sync + 'static {
    /// Notes that the page event is settled. Idempotent per event.
    async fn mark_settled(&self, job: JobId, event_id: &str) -> Result<(), StoreError>;

    /// How many distinct page events of the job are settled.
    async fn settled_count(&self, job: JobId) -> Result<u64, StoreError>;

    /// Counts these page events as unsettled again (they are being replayed), so the
    /// job's summary waits for them once more.
    async fn forget_settled(&self, job: JobId, event_ids: &[String]) -> Result<(), StoreError>;
}

/// Every attempt in order, per job and per endpoint, paged with a cursor (see [`crate::log`]).
#[async_trait]
pub trait DeliveryLog: Send + Sync + 'static {
    /// Appends the entry to its job's log and to `endpoint`'s log.
    async fn log_attempt(&self, endpoint: &EndpointKey, entry: &LogEntry)
        -> Result<(), StoreError>;

    async fn job_log(&self, job: JobId, cursor: LogCursor) -> Result<LogPage, StoreError>;

    async fn endpoint_log(
        &self,
        endpoint: &EndpointKey,
        cursor: LogCursor,
    ) -> Result<LogPage, StoreError>;
}

/// The events as they were first sent, kept for a while so one can be sent again.
#[async_trait]
pub trait EventArchive: Send + Sync + 'static {
    /// Keeps the event for `retention`, replacing an earlier copy.
    async fn keep_event(
        &self,
        envelope: &EventEnvelope,
        retention: Duration,
    ) -> Result<(), StoreError>;

    async fn kept_event(
        &self,
        job: JobId,
        event_id: &str,
    ) -> Result<Option<EventEnvelope>, StoreError>;
}

/// Events given up on, kept to be shown and replayed.
#[async_trait]
pub trait DeadLetterStore: Send + Sync + 'static {
    /// Stores a dead letter, replacing an earlier one of the same event.
    async fn put_dead_letter(&self, letter: &DeadLetter) -> Result<(), StoreError>;

    /// The job's dead letters, each with its attempt log, oldest first.
    async fn dead_letters(&self, job: JobId) -> Result<Vec<DeadLetter>, StoreError>;

    /// Removes the event's dead letter if it is still the record `record_id`. Returns
    /// whether it removed one.
    async fn remove_dead_letter(
        &self,
        job: JobId,
        event_id: &str,
        record_id: &str,
    ) -> Result<bool, StoreError>;
}

/// Consecutive failures, the disabled flag and the latest attempt of each endpoint.
#[async_trait]
pub trait HealthStore: Send + Sync + 'static {
    /// Counts the failed `attempt`; disables the endpoint when the count reaches
    /// `disable_after`.
    async fn record_endpoint_failure(
        &self,
        endpoint: &EndpointKey,
        attempt: &Attempt,
        disable_after: u32,
    ) -> Result<EndpointHealth, StoreError>;

    /// A successful `attempt` resets the consecutive failure count.
    async fn record_endpoint_success(
        &self,
        endpoint: &EndpointKey,
        attempt: &Attempt,
    ) -> Result<(), StoreError>;

    async fn endpoint_health(&self, endpoint: &EndpointKey) -> Result<EndpointHealth, StoreError>;

    /// Turns an endpoint back on with a clean count. Returns whether it was disabled.
    async fn reenable_endpoint(&self, endpoint: &EndpointKey) -> Result<bool, StoreError>;

    /// Forgets everything about an endpoint (it was deleted), so one created again under
    /// the same name starts healthy.
    async fn forget_endpoint(&self, endpoint: &EndpointKey) -> Result<(), StoreError>;
}

/// Page bodies left out of webhooks.
#[async_trait]
pub trait BodyStore: Send + Sync + 'static {
    /// Keeps a page body readable for `retention`.
    async fn put_body(
        &self,
        job: JobId,
        body: &StoredBody,
        retention: Duration,
    ) -> Result<(), StoreError>;

    async fn body(&self, job: JobId, url: &str) -> Result<Option<StoredBody>, StoreError>;
}
