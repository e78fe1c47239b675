//! Where schedules, their run logs and the tick loop's lease live.
//!
//! Two implementations: [`redis::RedisStore`] for the distributed roles and
//! [`memory::MemoryStore`] for the embedded mode. Both keep the same three invariants,
//! checked by the conformance suite:
//! - the due index holds exactly the schedules that are enabled and have a next time,
//!   scored by that time;
//! - [`ScheduleStore::claim_run`] is one atomic compare-and-set, so of any number of
//!   concurrent claims of one due time, one succeeds;
//! - the lease has at most one holder until its TTL runs out.

pub mod memory;
pub mod redis;

use std::time::Duration;

use async_trait::async_trait;

use crate::schedule::{Run, Schedule, ScheduleId};
use crate::ScheduleError;

/// How many runs a schedule's log keeps, newest first; older ones are dropped.
pub const RUN_LOG_CAP: usize = 20;

#[async_trait]
pub trait ScheduleStore: Send + Sync + 'static {
    /// Creates the schedule, or replaces the one with its id, and puts it in the due
    /// index (or takes it out) by its `enabled` and `next_run_ms`.
    async fn put(&self, schedule: &Schedule) -> Result<(), ScheduleError>;

    /// Replaces the stored schedule with `schedule`, only if it still exists and its
    /// `next_run_ms` is still `expected_next_run_ms` (what the caller read). A change read,
    /// modified and written back through here never undoes a run claimed meanwhile nor
    /// brings back a deleted schedule. False when nothing was written: read again and
    /// retry, or give up if the schedule is gone. The run log is kept.
    async fn replace(
        &self,
        schedule: &Schedule,
        expected_next_run_ms: Option<u64>,
    ) -> Result<bool, ScheduleError>;

    /// The schedule with its current `next_run_ms`.
    async fn get(&self, id: ScheduleId) -> Result<Option<Schedule>, ScheduleError>;

    /// The owner's schedules, oldest first.
    async fn list(&self, owner: &str) -> Result<Vec<Schedule>, ScheduleError>;

    /// Deletes the schedule and its run log; false when there was none.
    async fn delete(&self, id: ScheduleId) -> Result<bool, ScheduleError>;

    /// Up to `limit` enabled schedules due at or before `now_ms`, earliest due first (ties
    /// by id).
    async fn due(&self, now_ms: u64, limit: usize) -> Result<Vec<Schedule>, ScheduleError>;

    /// Claims the run due at `due_at_ms`: only if the schedule exists, is enabled and is
    /// still due at `due_at_ms`, moves it to `next_run_ms` (out of the due index when
    /// `None`) and returns true. Atomic, so a second claim of the same due time, from this
    /// process or another, returns false.
    async fn claim_run(
        &self,
        id: ScheduleId,
        due_at_ms: u64,
        next_run_ms: Option<u64>,
    ) -> Result<bool, ScheduleError>;

    /// Adds a run to the schedule's log, keeping the newest [`RUN_LOG_CAP`]. The run of a
    /// schedule deleted meanwhile is dropped with it.
    async fn record_run(&self, id: ScheduleId, run: &Run) -> Result<(), ScheduleError>;

    /// The schedule's run log, newest first.
    async fn runs(&self, id: ScheduleId) -> Result<Vec<Run>, ScheduleError>;

    /// Acquires the tick loop's lease for `holder`, or renews it when `holder` has it, for
    /// `ttl` from now. False while another holder has it.
    async fn acquire_lease(&self, holder: &str, ttl: Duration) -> Result<bool, ScheduleError>;

    /// Gives the lease up if `holder` has it, so another loop need not wait for the TTL.
    async fn release_lease(&self, holder: &str) -> Result<(), ScheduleError>;

    /// Whether the store is reachable right now.
    async fn is_ready(&self) -> bool;
}

/// The order [`ScheduleStore::list`] returns: oldest first, ties by id.
fn sort_oldest_first(schedules: &mut [Schedule]) {
    schedules.sort_by_key(|schedule| (schedule.created_at_ms, schedule.id));
}
