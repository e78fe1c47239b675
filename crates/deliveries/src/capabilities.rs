//! The delivery store's capabilities, one trait each, so that a caller depends on what it
//! uses (the coordinator's replay needs dead letters, not the attempt log's writes) and a
//! backend could implement a subset honestly.

use std::time::Duration;

use async_trait::async_trait;
use crawler_core::JobId;

use crate::endpoints::EndpointKey;
use crate::records::{Attempt, DeadLetter, EndpointHealth, FirstAttempts, StoredBody};
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
}

/// Which page events of a job had their first attempt; the summary waits for them.
#[async_trait]
pub trait FirstAttemptLog: Send + Sync + 'static {
    /// Notes that the page event's first attempt is over (or that it needs none).
    /// Idempotent per event.
    async fn mark_first_attempt_done(&self, job: JobId, event_id: &str) -> Result<(), StoreError>;

    async fn first_attempts(&self, job: JobId) -> Result<FirstAttempts, StoreError>;

    /// Counts these page events as not attempted again (they are being replayed), so the
    /// job's summary waits for them once more.
    async fn forget_first_attempts(
        &self,
        job: JobId,
        event_ids: &[String],
    ) -> Result<(), StoreError>;
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
