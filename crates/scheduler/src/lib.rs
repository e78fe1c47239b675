//! Recurring crawls: a user stores a crawl spec as a [`Schedule`], and a new crawl of it
//! starts at each due time.
//!
//! # What a schedule is
//! A schedule is an owner's crawl spec ([`crawler_core::JobSpec`]) plus a [`Trigger`] that
//! says when it is due. The store keeps one field that moves: `next_run_ms`, the next due
//! time, indexed so that [`ScheduleStore::due`] finds every schedule whose time has come
//! without reading the others. A disabled schedule, or one whose trigger has no further
//! time, is not in that index. Each run leaves a [`Run`] in a short log (the last
//! [`store::RUN_LOG_CAP`], newest first): the crawl it started, or why it did not start.
//!
//! # How a due run starts once
//! Any number of coordinators may run the tick loop ([`tick::run`]) at once. Two things
//! keep them from starting a due run twice:
//! 1. **The lease.** Every tick, each loop tries to acquire or renew one lease with a TTL
//!    ([`ScheduleStore::acquire_lease`]). Only its holder looks at due schedules, so in the
//!    normal case one process does the work and the others wait. When the holder stops,
//!    its lease expires after the TTL and another loop takes over on its next tick.
//! 2. **The per-run claim.** A lease is not a perfect lock: a holder paused for longer
//!    than the TTL (a long GC-like stall, a slow network) still believes it holds the lease
//!    while another has taken it. So before starting a run, the loop claims it with
//!    [`ScheduleStore::claim_run`], an atomic compare-and-set that moves `next_run_ms` from
//!    the due time to the next one only if it still is the due time. Of two loops racing
//!    on the same due run, exactly one claim succeeds, and only that loop starts the crawl.
//!
//! A claimed run is started (or recorded as skipped or failed) exactly once. A process
//! that dies between the claim and the launch loses that one run rather than risking a
//! second start: runs are at most once, and exactly once whenever the claiming process
//! survives its tick.
//!
//! # Time
//! Due times are Unix milliseconds read from a [`Clock`], never from the system directly,
//! so tests step the loop with a [`ManualClock`] and [`tick::tick_once`] instead of
//! sleeping. Lease TTLs are real time, kept by the store (Redis expires the key itself).
//!
//! # Backends
//! [`store::redis::RedisStore`] for the distributed roles (each multi-key update is one
//! Lua script, and every key shares one Cluster hash tag) and [`store::memory::MemoryStore`]
//! for the embedded mode. [`connect`] is the one place that chooses between them; both
//! pass the same conformance suite (`tests/it/suite/`).
//!
//! # Adding a trigger
//! One module in `triggers/` and one variant of [`Trigger`]; nothing else changes.

pub mod clock;
pub mod schedule;
pub mod store;
pub mod tick;
pub mod triggers;

use std::sync::Arc;

pub use clock::{Clock, ManualClock, SystemClock};
pub use schedule::{Run, RunOutcome, Schedule, ScheduleId};
pub use store::ScheduleStore;
pub use tick::{LaunchError, Launcher, TickConfig, TickReport};
pub use triggers::{Every, Trigger, TriggerError};

/// Why a schedule store call failed.
#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    #[error("schedule store unavailable: {0}")]
    Unavailable(String),
    #[error("schedule store error: {0}")]
    Backend(String),
    #[error("corrupt schedule record: {0}")]
    Corrupt(String),
}

impl ScheduleError {
    /// Whether trying again later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, ScheduleError::Unavailable(_))
    }
}

/// Which schedule backend to use.
#[derive(Debug, Clone)]
pub enum ScheduleBackend {
    Memory,
    Redis { url: String },
}

/// The one place that chooses the backend.
pub async fn connect(
    backend: &ScheduleBackend,
    namespace: &str,
) -> Result<Arc<dyn ScheduleStore>, ScheduleError> {
    Ok(match backend {
        ScheduleBackend::Memory => Arc::new(store::memory::MemoryStore::new()),
        ScheduleBackend::Redis { url } => {
            Arc::new(store::redis::RedisStore::connect(url, namespace).await?)
        }
    })
}
