//! The in-memory schedule store of the embedded mode.
//!
//! Everything lives behind one mutex, and each call takes it once and does all its work
//! before releasing it: the same all-or-nothing the Redis store gets from its Lua scripts,
//! which is what makes [`ScheduleStore::claim_run`] a compare-and-set here too. The lock is
//! a `std` mutex because no call awaits while holding it.
//!
//! The lease expires by tokio's clock, so one process's loops share it as they would a
//! Redis lease, and a test on tokio's paused clock can expire it without waiting.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;

use super::{sort_oldest_first, ScheduleStore, RUN_LOG_CAP};
use crate::schedule::{Run, Schedule, ScheduleId};
use crate::ScheduleError;

struct Entry {
    schedule: Schedule,
    /// Newest first.
    runs: VecDeque<Run>,
}

struct Lease {
    holder: String,
    expires_at: Instant,
}

#[derive(Default)]
struct Inner {
    by_id: HashMap<ScheduleId, Entry>,
    /// (next_run_ms, id) of every enabled schedule with a next time.
    due: BTreeSet<(u64, ScheduleId)>,
    by_owner: HashMap<String, BTreeSet<ScheduleId>>,
    lease: Option<Lease>,
}

impl Inner {
    /// Creates or replaces the schedule, keeping its run log, and indexes it.
    fn insert(&mut self, schedule: &Schedule) {
        let runs = match self.by_id.remove(&schedule.id) {
            Some(old) => {
                self.unindex(&old.schedule);
                old.runs
            }
            None => VecDeque::new(),
        };
        if let (true, Some(next)) = (schedule.enabled, schedule.next_run_ms) {
            self.due.insert((next, schedule.id));
        }
        self.by_owner
            .entry(schedule.owner.clone())
            .or_default()
            .insert(schedule.id);
        let schedule = schedule.clone();
        self.by_id.insert(schedule.id, Entry { schedule, runs });
    }

    /// Takes the schedule out of both indexes.
    fn unindex(&mut self, schedule: &Schedule) {
        if let Some(next) = schedule.next_run_ms {
            self.due.remove(&(next, schedule.id));
        }
        if let Some(ids) = self.by_owner.get_mut(&schedule.owner) {
            ids.remove(&schedule.id);
            if ids.is_empty() {
                self.by_owner.remove(&schedule.owner);
            }
        }
    }
}

#[derive(Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

impl MemoryStore {
    pub fn new() -> Self {
        MemoryStore::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Every call leaves the maps consistent before it can panic, so a poisoned lock
        // still guards consistent data: keep serving.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait]
impl ScheduleStore for MemoryStore {
    async fn put(&self, schedule: &Schedule) -> Result<(), ScheduleError> {
        self.lock().insert(schedule);
        Ok(())
    }

    async fn replace(
        &self,
        schedule: &Schedule,
        expected_next_run_ms: Option<u64>,
    ) -> Result<bool, ScheduleError> {
        let mut inner = self.lock();
        let current = inner
            .by_id
            .get(&schedule.id)
            .map(|e| e.schedule.next_run_ms);
        if current != Some(expected_next_run_ms) {
            return Ok(false);
        }
        inner.insert(schedule);
        Ok(true)
    }

    async fn get(&self, id: ScheduleId) -> Result<Option<Schedule>, ScheduleError> {
        Ok(self.lock().by_id.get(&id).map(|e| e.schedule.clone()))
    }

    async fn list(&self, owner: &str) -> Result<Vec<Schedule>, ScheduleError> {
        let inner = self.lock();
        let mut schedules: Vec<Schedule> = inner
            .by_owner
            .get(owner)
            .into_iter()
            .flatten()
            .filter_map(|id| inner.by_id.get(id).map(|e| e.schedule.clone()))
            .collect();
        sort_oldest_first(&mut schedules);
        Ok(schedules)
    }

    async fn delete(&self, id: ScheduleId) -> Result<bool, ScheduleError> {
        let mut inner = self.lock();
        let Some(old) = inner.by_id.remove(&id) else {
            return Ok(false);
        };
        inner.unindex(&old.schedule);
        Ok(true)
    }

    async fn due(&self, now_ms: u64, limit: usize) -> Result<Vec<Schedule>, ScheduleError> {
        let inner = self.lock();
        Ok(inner
            .due
            .iter()
            .take_while(|(next, _)| *next <= now_ms)
            .take(limit)
            .filter_map(|(_, id)| inner.by_id.get(id).map(|e| e.schedule.clone()))
            .collect())
    }

    async fn claim_run(
        &self,
        id: ScheduleId,
        due_at_ms: u64,
        next_run_ms: Option<u64>,
    ) -> Result<bool, ScheduleError> {
        let mut guard = self.lock();
        // One reborrow of the guard, so the record and the index can be borrowed apart.
        let inner = &mut *guard;
        let Some(entry) = inner.by_id.get_mut(&id) else {
            return Ok(false);
        };
        let schedule = &mut entry.schedule;
        if !schedule.enabled || schedule.next_run_ms != Some(due_at_ms) {
            return Ok(false);
        }
        schedule.next_run_ms = next_run_ms;
        inner.due.remove(&(due_at_ms, id));
        if let Some(next) = next_run_ms {
            inner.due.insert((next, id));
        }
        Ok(true)
    }

    async fn record_run(&self, id: ScheduleId, run: &Run) -> Result<(), ScheduleError> {
        if let Some(entry) = self.lock().by_id.get_mut(&id) {
            entry.runs.push_front(run.clone());
            entry.runs.truncate(RUN_LOG_CAP);
        }
        Ok(())
    }

    async fn runs(&self, id: ScheduleId) -> Result<Vec<Run>, ScheduleError> {
        Ok(self
            .lock()
            .by_id
            .get(&id)
            .map(|e| e.runs.iter().cloned().collect())
            .unwrap_or_default())
    }

    async fn acquire_lease(&self, holder: &str, ttl: Duration) -> Result<bool, ScheduleError> {
        let mut inner = self.lock();
        let now = Instant::now();
        let free = match &inner.lease {
            None => true,
            Some(lease) => lease.holder == holder || lease.expires_at <= now,
        };
        if free {
            inner.lease = Some(Lease {
                holder: holder.to_owned(),
                expires_at: now + ttl,
            });
        }
        Ok(free)
    }

    async fn release_lease(&self, holder: &str) -> Result<(), ScheduleError> {
        let mut inner = self.lock();
        if inner.lease.as_ref().is_some_and(|l| l.holder == holder) {
            inner.lease = None;
        }
        Ok(())
    }

    async fn is_ready(&self) -> bool {
        true
    }
}
