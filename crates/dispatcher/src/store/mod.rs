//! What the dispatcher remembers about deliveries, behind one trait.
//!
//! - **Attempts**: every try of every event (time, status or error, duration), kept so a
//!   dead letter can show its whole history.
//! - **Delivered flags**: an event delivered once is not sent again when its queue message
//!   is redelivered after a crash.
//! - **First attempts**: per job, the page events whose first attempt is over; the summary
//!   waits for all of them (see `crate::ordering`).
//! - **Dead letters**: per job, the events that exhausted their schedule or met a disabled
//!   endpoint, with their envelope so that a replay can publish them again.
//! - **Endpoint health**: per callback URL, consecutive failures and the disabled flag.
//! - **Bodies**: page bodies left out of a webhook, served by the coordinator.
//!
//! Two implementations, chosen by [`connect`]: [`redis::RedisDeliveryStore`] for the
//! distributed roles and [`memory::MemoryDeliveryStore`] for the embedded mode. Both pass
//! the same tests (`tests.rs`).

pub mod memory;
pub mod redis;
mod redis_scripts;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use crawler_core::{EventEnvelope, EventKind, JobId};
use serde::{Deserialize, Serialize};

use crate::payload::StoredBody;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("delivery store unavailable: {0}")]
    Unavailable(String),
    #[error("delivery store error: {0}")]
    Backend(String),
    #[error("corrupt delivery record: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// Whether trying again later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
}

/// One try to deliver one event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    /// 1 for the first try.
    pub attempt: u32,
    /// When the try started, Unix milliseconds.
    pub at_ms: u64,
    /// The receiver's final HTTP status, when it answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_code: Option<u16>,
    /// Why the try failed, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub duration_ms: u64,
}

/// Why an event was given up on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadReason {
    /// Every retry of the schedule failed.
    Exhausted,
    /// The endpoint was disabled, so no request was made.
    EndpointDisabled,
}

/// An event that was not delivered, with everything needed to show and replay it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetter {
    /// Identifies this record, so a replay removes only the record it published and not a
    /// newer one written meanwhile by the replayed event failing again.
    pub record_id: String,
    pub event_id: String,
    pub job_id: JobId,
    pub kind: EventKind,
    /// The callback URL the event was meant for.
    pub callback_url: String,
    pub reason: DeadReason,
    pub dead_at_ms: u64,
    /// The event as it was queued, replayed with its attempt count reset.
    pub envelope: EventEnvelope,
    /// Filled from the attempt log when read; ignored when written.
    #[serde(default)]
    pub attempts: Vec<Attempt>,
}

/// One callback URL's health.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EndpointHealth {
    pub consecutive_failures: u32,
    pub disabled: bool,
}

/// How far the first attempts of a job's page events have got.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FirstAttempts {
    /// Distinct page events whose first attempt is over.
    pub done: u64,
    /// When that number last grew, Unix milliseconds (0 when never).
    pub last_progress_ms: u64,
}

#[async_trait]
pub trait DeliveryStore: Send + Sync + 'static {
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

    /// Counts a failure; disables the endpoint when the count reaches `disable_after`.
    async fn record_endpoint_failure(
        &self,
        url: &str,
        disable_after: u32,
    ) -> Result<EndpointHealth, StoreError>;

    /// A success resets the consecutive failure count.
    async fn record_endpoint_success(&self, url: &str) -> Result<(), StoreError>;

    async fn endpoint_health(&self, url: &str) -> Result<EndpointHealth, StoreError>;

    /// Turns an endpoint back on with a clean count. Returns whether it was disabled.
    async fn reenable_endpoint(&self, url: &str) -> Result<bool, StoreError>;

    /// Keeps a page body readable for `retention`.
    async fn put_body(
        &self,
        job: JobId,
        body: &StoredBody,
        retention: Duration,
    ) -> Result<(), StoreError>;

    async fn body(&self, job: JobId, url: &str) -> Result<Option<StoredBody>, StoreError>;

    /// Whether the store is reachable right now.
    async fn is_ready(&self) -> bool;
}

/// Which delivery store to use.
#[derive(Debug, Clone)]
pub enum DeliveryBackend {
    Memory,
    Redis { url: String },
}

/// The one place that chooses the backend.
pub async fn connect(
    backend: &DeliveryBackend,
    namespace: &str,
) -> Result<Arc<dyn DeliveryStore>, StoreError> {
    match backend {
        DeliveryBackend::Memory => Ok(Arc::new(memory::MemoryDeliveryStore::new())),
        DeliveryBackend::Redis { url } => Ok(Arc::new(
            redis::RedisDeliveryStore::connect(url, namespace).await?,
        )),
    }
}
