//! What is remembered about webhook deliveries, shared by the dispatcher (which writes it)
//! and the coordinator (which serves it), so neither depends on the other.
//!
//! The store is split by capability, so a caller names only what it uses:
//! - [`AttemptLog`]: every try of every event (time, status or error, duration), and which
//!   events were delivered, so one delivered once is not sent again when its queue message
//!   is redelivered after a crash.
//! - [`SettledLog`]: per job, the page events that are settled (delivered,
//!   dead-lettered or filtered out); the summary waits for all of them.
//! - [`DeliveryLog`]: every attempt with its outcome and the start of the answer, per job
//!   and per endpoint, paged with a cursor ([`log`]).
//! - [`EventArchive`]: the events as first sent, kept so that one can be redelivered.
//! - [`DeadLetterStore`]: per job, the events that exhausted their schedule or met a
//!   disabled endpoint, with their envelope so that a replay can publish them again.
//! - [`HealthStore`]: per endpoint of one tenant, consecutive failures and the disabled
//!   flag. Health hangs off an [`EndpointKey`], never off a URL string, so one tenant's
//!   failures cannot disable another's endpoint at the same URL.
//! - [`BodyStore`]: page bodies left out of a webhook, served by the coordinator.
//!
//! [`DeliveryStore`] is all of them together. Webhook endpoints as a resource (name, URL,
//! secret, profile, owned by a tenant) live in [`endpoints`].
//!
//! Two implementations, chosen by [`connect`]: [`redis::RedisDeliveryStore`] for the
//! distributed roles and [`memory::MemoryDeliveryStore`] for the embedded mode. Both pass
//! the same tests (`tests.rs`).

mod capabilities;
pub mod endpoints;
pub mod log;
pub mod memory;
mod memory_log;
mod records;
pub mod redis;
mod redis_log;
mod redis_scripts;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use async_trait::async_trait;

pub use capabilities::{
    AttemptLog, BodyStore, DeadLetterStore, DeliveryLog, EventArchive, HealthStore, SettledLog,
};
pub use endpoints::{EndpointKey, Tenant};
pub use log::{LogCursor, LogEntry, LogPage, LoggedOutcome};
pub use records::{Attempt, DeadLetter, DeadReason, EndpointHealth, StoredBody};

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

/// A short, key-safe name for a URL: URLs can be long and contain anything, so records
/// keyed by one (stored bodies, inline endpoints) use the hex of its SHA-256 prefix.
pub(crate) fn url_digest(url: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(url.as_bytes());
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// Every capability of the delivery store, as one object the roles share.
#[async_trait]
pub trait DeliveryStore:
    AttemptLog + SettledLog + DeliveryLog + EventArchive + DeadLetterStore + HealthStore + BodyStore
{
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
