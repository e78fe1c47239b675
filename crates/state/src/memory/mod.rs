//! The in-memory state store of the embedded mode.
//!
//! Every job lives in one map behind one mutex. Each operation takes the lock once, does
//! all of its work and releases it before returning, so no other call can observe it half
//! done: the same guarantee the Redis store gets from running each update as one Lua
//! script. The lock is a `std` mutex because no operation awaits while holding it.

mod job;

use std::collections::{BTreeSet, HashMap};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use crawler_core::{FetchTask, JobId, JobRecord, JobStatus, PageResult, StopReason, SummaryEvent};

use self::job::JobEntry;
use crate::snapshot::{build_status, build_summary};
use crate::{
    ItemResult, JobControl, JobData, JobLifecycle, JobPage, JobReads, PageOutcome, Recorded,
    RecordedEffects, ResultsPage, StateError, StateStore, TaskReplays,
};

#[derive(Default)]
struct Jobs {
    by_id: HashMap<JobId, JobEntry>,
    /// Owner -> (created_at_ms, job), iterated backwards for newest first.
    by_owner: HashMap<String, BTreeSet<(u64, JobId)>>,
}

#[derive(Default)]
pub struct MemoryStore {
    jobs: Mutex<Jobs>,
}

impl MemoryStore {
    pub fn new() -> Self {
        MemoryStore::default()
    }

    fn lock(&self) -> MutexGuard<'_, Jobs> {
        // A panic while holding the lock cannot leave a job half updated in a way later
        // calls would misread worse than losing the process, so keep serving.
        self.jobs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `f` on the job, or fails with `NoSuchJob`.
    fn with_job<T>(&self, job: JobId, f: impl FnOnce(&mut JobEntry) -> T) -> Result<T, StateError> {
        let mut jobs = self.lock();
        let entry = jobs.by_id.get_mut(&job).ok_or(StateError::NoSuchJob)?;
        Ok(f(entry))
    }
}

fn status_of(entry: &JobEntry) -> JobStatus {
    build_status(&entry.record, &entry.counters, entry.overflow.len() as u64)
}

#[async_trait]
impl JobLifecycle for MemoryStore {
    async fn create_job(&self, record: &JobRecord) -> Result<Vec<FetchTask>, StateError> {
        let mut jobs = self.lock();
        // Creating a job twice (a retried call) keeps the first one untouched and answers
        // what the first call did.
        if let Some(entry) = jobs.by_id.get(&record.job_id) {
            return Ok(entry.seeds().to_vec());
        }
        jobs.by_owner
            .entry(record.owner.clone())
            .or_default()
            .insert((record.created_at_ms, record.job_id));
        let entry = JobEntry::new(record.clone());
        let seeds = entry.seeds().to_vec();
        jobs.by_id.insert(record.job_id, entry);
        Ok(seeds)
    }

    async fn request_stop(&self, job: JobId, reason: StopReason) -> Result<(), StateError> {
        self.with_job(job, |entry| entry.request_stop(reason))
    }

    async fn admit(
        &self,
        job: JobId,
        parent: &str,
        candidates: &[FetchTask],
    ) -> Result<Vec<FetchTask>, StateError> {
        self.with_job(job, |entry| entry.admit(parent, candidates))
    }

    async fn claim_redirect(
        &self,
        job: JobId,
        from: &str,
        target: &str,
    ) -> Result<bool, StateError> {
        self.with_job(job, |entry| entry.claim_redirect(from, target))
    }

    async fn claim_host_slot(
        &self,
        job: JobId,
        host: &str,
        url: &str,
        max_pages: u64,
    ) -> Result<bool, StateError> {
        self.with_job(job, |entry| entry.claim_host_slot(host, url, max_pages))
    }

    async fn record_outcome(
        &self,
        job: JobId,
        url: &str,
        outcome: &PageOutcome,
    ) -> Result<Recorded, StateError> {
        self.with_job(job, |entry| entry.record_outcome(url, outcome))
    }

    async fn close_task(&self, job: JobId, url: &str, depth: u32) -> Result<bool, StateError> {
        let now = crawler_core::time::now_ms();
        self.with_job(job, |entry| entry.close_task(url, depth, now))
    }

    async fn summary_sent(&self, job: JobId, round: u32) -> Result<(), StateError> {
        self.with_job(job, |entry| entry.summary_sent(round))
    }

    async fn keep_result(
        &self,
        job: JobId,
        item: u32,
        result: &ItemResult,
    ) -> Result<bool, StateError> {
        self.with_job(job, |entry| match entry.item_results.entry(item) {
            std::collections::hash_map::Entry::Occupied(_) => false,
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(result.clone());
                true
            }
        })
    }

    async fn start_due(&self, job: JobId) -> Result<bool, StateError> {
        self.with_job(job, |entry| !entry.started)
    }

    async fn started_sent(&self, job: JobId) -> Result<(), StateError> {
        self.with_job(job, |entry| entry.started = true)
    }
}

#[async_trait]
impl JobReads for MemoryStore {
    async fn job(&self, job: JobId) -> Result<Option<JobRecord>, StateError> {
        Ok(self
            .lock()
            .by_id
            .get(&job)
            .map(|entry| entry.record.clone()))
    }

    async fn status(&self, job: JobId) -> Result<Option<JobStatus>, StateError> {
        Ok(self.lock().by_id.get(&job).map(status_of))
    }

    async fn list_jobs(&self, owner: &str, offset: u64, limit: u64) -> Result<JobPage, StateError> {
        let jobs = self.lock();
        let Some(index) = jobs.by_owner.get(owner) else {
            return Ok(JobPage {
                jobs: Vec::new(),
                total: 0,
            });
        };
        let page = index
            .iter()
            .rev()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .filter_map(|(_, id)| jobs.by_id.get(id).map(status_of))
            .collect();
        Ok(JobPage {
            jobs: page,
            total: index.len() as u64,
        })
    }

    async fn control(&self, job: JobId) -> Result<JobControl, StateError> {
        let jobs = self.lock();
        let Some(entry) = jobs.by_id.get(&job) else {
            return Ok(JobControl::Missing);
        };
        Ok(match (entry.counters.ended, entry.counters.stop_reason) {
            (true, _) => JobControl::Ended,
            (false, Some(reason)) => JobControl::Stopping(reason),
            (false, None) => JobControl::Running,
        })
    }

    async fn summary_due(&self, job: JobId) -> Result<bool, StateError> {
        let jobs = self.lock();
        Ok(jobs
            .by_id
            .get(&job)
            .is_some_and(|entry| entry.counters.ended && entry.summary_due.is_some()))
    }

    async fn due_summaries(
        &self,
        older_than_ms: u64,
        limit: u64,
    ) -> Result<Vec<JobId>, StateError> {
        let jobs = self.lock();
        let mut due: Vec<(u64, JobId)> = jobs
            .by_id
            .iter()
            .filter_map(|(id, entry)| entry.summary_due.map(|(_, at)| (at, *id)))
            .filter(|(at, _)| *at <= older_than_ms)
            .collect();
        due.sort();
        Ok(due
            .into_iter()
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .map(|(_, id)| id)
            .collect())
    }

    async fn result(&self, job: JobId, item: u32) -> Result<Option<ItemResult>, StateError> {
        let jobs = self.lock();
        Ok(jobs
            .by_id
            .get(&job)
            .and_then(|entry| entry.item_results.get(&item).cloned()))
    }

    async fn frontier_depth(&self, job: JobId) -> Result<Option<u32>, StateError> {
        self.with_job(job, |entry| entry.frontier_depth())
    }

    async fn summary(&self, job: JobId) -> Result<SummaryEvent, StateError> {
        self.with_job(job, |entry| {
            let outcomes = entry
                .outcome_order
                .iter()
                .filter_map(|url| entry.outcomes.get(url).map(|stored| (url.as_str(), stored)));
            let overflow = entry.overflow.iter().map(|task| task.url.clone()).collect();
            build_summary(&entry.record, &entry.counters, outcomes, overflow)
        })
    }
}

#[async_trait]
impl JobData for MemoryStore {
    async fn put_result(&self, job: JobId, result: &PageResult) -> Result<(), StateError> {
        self.with_job(job, |entry| {
            entry.results.insert(result.url.clone(), result.clone());
        })
    }

    async fn results(
        &self,
        job: JobId,
        offset: u64,
        limit: u64,
    ) -> Result<ResultsPage, StateError> {
        self.with_job(job, |entry| {
            let start = usize::try_from(offset).unwrap_or(usize::MAX);
            let window: Vec<&String> = entry
                .outcome_order
                .iter()
                .skip(start)
                .take(usize::try_from(limit).unwrap_or(usize::MAX))
                .collect();
            let more = start.saturating_add(window.len()) < entry.outcome_order.len();
            ResultsPage {
                results: window
                    .iter()
                    .filter_map(|url| entry.results.get(*url).cloned())
                    .collect(),
                next: more.then(|| offset + window.len() as u64),
            }
        })
        .or_else(|error| match error {
            // A purged or unknown job has no results, as in Redis.
            StateError::NoSuchJob => Ok(ResultsPage {
                results: Vec::new(),
                next: None,
            }),
            other => Err(other),
        })
    }

    async fn reopen(&self, job: JobId, tasks: &[FetchTask]) -> Result<Vec<FetchTask>, StateError> {
        self.with_job(job, |entry| entry.reopen(tasks))
    }

    async fn purge(&self, job: JobId) -> Result<bool, StateError> {
        let mut jobs = self.lock();
        let Some(entry) = jobs.by_id.remove(&job) else {
            return Ok(false);
        };
        if let Some(index) = jobs.by_owner.get_mut(&entry.record.owner) {
            index.remove(&(entry.record.created_at_ms, job));
        }
        Ok(true)
    }
}

#[async_trait]
impl TaskReplays for MemoryStore {
    async fn recorded_effects(&self, job: JobId, url: &str) -> Result<RecordedEffects, StateError> {
        let jobs = self.lock();
        Ok(jobs
            .by_id
            .get(&job)
            .map(|entry| entry.recorded_effects(url))
            .unwrap_or_default())
    }
}

#[async_trait]
impl StateStore for MemoryStore {
    async fn is_ready(&self) -> bool {
        true
    }
}
