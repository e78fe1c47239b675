//! Crawling like a good citizen: robots.txt and per-host pacing, shared by every worker.
//!
//! - [`Robots`] fetches a host's robots.txt once (through the caller's [`RobotsFetcher`],
//!   so this crate owns no HTTP client), keeps the raw answer in the shared store for every
//!   worker, and answers "may this URL be fetched, and with what Crawl-delay" per RFC 9309.
//! - [`HostGate`] hands out leases on a host's concurrency slots and spaces request starts,
//!   across all workers: the Redis implementation decides in one Lua script on the Redis
//!   server's clock, so workers on machines with skewed clocks still agree.
//! - [`Politeness`] is the facade the fetcher worker uses: check robots, acquire a lease
//!   (or learn how long to wait), fetch, release the lease with the response status.
//!
//! A "host" for politeness is `scheme://host:port` ([`host_key`]), the unit RFC 9309
//! scopes a robots.txt to.
//!
//! Both stores have a Redis implementation (the distributed roles) and an in-memory one
//! (the embedded mode), chosen in one place, [`connect`], and both pass the same
//! conformance suite (`tests/it/common/`).

mod config;
mod facade;
pub mod gate;
pub mod memory;
pub mod redis_store;
pub mod robots;

use std::sync::{Arc, Mutex, MutexGuard};

use crawler_state::StateBackend;

pub use config::PolitenessConfig;
pub use facade::{Politeness, RobotsCheck, RobotsVerdict};
pub use gate::{host_key, Backoff, Gate, GateSettings, HostGate, Lease, PaceRules};
pub use robots::{
    Robots, RobotsConfig, RobotsFetcher, RobotsResponse, RobotsRules, RobotsStore, StoredRobots,
};

#[derive(Debug, thiserror::Error)]
pub enum PolitenessError {
    #[error("politeness store unavailable: {0}")]
    Unavailable(String),
    #[error("politeness store error: {0}")]
    Backend(String),
    #[error("corrupt politeness record: {0}")]
    Corrupt(String),
    #[error("no politeness host for URL `{0}`: it needs an http(s) scheme and a host")]
    InvalidUrl(String),
}

impl PolitenessError {
    /// Whether trying again later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, PolitenessError::Unavailable(_))
    }
}

/// The two stores behind [`Politeness`], from one backend.
#[derive(Clone)]
pub struct PolitenessStores {
    pub gate: Arc<dyn HostGate>,
    pub robots: Arc<dyn RobotsStore>,
}

/// The one place that chooses the backend. Politeness state lives wherever the job state
/// lives, so the worker passes the same [`StateBackend`] it uses for [`crawler_state`].
pub async fn connect(
    backend: &StateBackend,
    namespace: &str,
    settings: GateSettings,
) -> Result<PolitenessStores, PolitenessError> {
    Ok(match backend {
        StateBackend::Memory => PolitenessStores {
            gate: Arc::new(memory::MemoryGate::new(settings)),
            robots: Arc::new(memory::MemoryRobotsStore::new()),
        },
        StateBackend::Redis { url, .. } => {
            let store = redis_store::RedisPoliteness::connect(url, namespace, settings).await?;
            PolitenessStores {
                gate: Arc::new(store.clone()),
                robots: Arc::new(store),
            }
        }
    })
}

/// Locks one of the in-process mutexes. Every update under them is a few field writes that
/// cannot panic half-way in a way later calls would misread, so a poisoned lock is still
/// safe to serve from.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
