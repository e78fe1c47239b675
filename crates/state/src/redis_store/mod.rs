//! The Redis state store of the distributed roles.
//!
//! Each job's state is a handful of keys sharing one Cluster hash tag (see [`keys`]).
//! Every update that touches more than one of them, or that must read before it writes,
//! is one Lua script (see `scripts/`): Redis runs a script to the end before serving
//! anything else, and a crash either loses the whole script or none of it, so no reader
//! ever sees an admission counted in the seen-set but not in `pending`. Reads that need a
//! consistent view of several keys use `MULTI`/`EXEC`.
//!
//! The connection is a [`ConnectionManager`], which reconnects by itself after Redis
//! restarts. Every call is bounded by a timeout, so a Redis that stopped answering makes
//! callers fail fast with [`StateError::Unavailable`] (transient) rather than hang.

mod announcements;
mod data;
mod decode;
mod keys;
mod reads;
mod replays;
mod scripts;
mod summaries;

use std::future::Future;
use std::time::Duration;

use async_trait::async_trait;
use crawler_core::{FetchTask, JobId, JobRecord, JobStatus, Namespace, StopReason, SummaryEvent};
use redis::aio::ConnectionManager;
use redis::{AsyncCommands, RedisResult};

use self::decode::{json, map_error, to_json};
use self::keys::{owner_index, JobKeys};
use self::scripts::Scripts;
use crate::redis_conn;
use crate::snapshot::StoredOutcome;
use crate::{
    ItemResult, JobControl, JobLifecycle, JobPage, JobReads, PageOutcome, Recorded, StateError,
    StateStore,
};

pub use crate::redis_conn::DEFAULT_RESPONSE_TIMEOUT;

/// How long an ended job's keys stay, unless configured: a week, longer than the webhook
/// retry schedule, so late deliveries still find the job.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);

pub struct RedisStore {
    connection: ConnectionManager,
    namespace: Namespace,
    scripts: Scripts,
    timeout: Duration,
    retention: Duration,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("namespace", &self.namespace.as_str())
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// Sets how long an ended job's keys stay in Redis.
    pub fn with_retention(mut self, retention: Duration) -> Self {
        self.retention = retention;
        self
    }

    /// Connects with [`DEFAULT_RESPONSE_TIMEOUT`].
    pub async fn connect(url: &str, namespace: &str) -> Result<Self, StateError> {
        Self::connect_with_timeout(url, namespace, DEFAULT_RESPONSE_TIMEOUT).await
    }

    /// Connects, failing with [`StateError::Unavailable`] when Redis does not answer
    /// within `timeout`; every later call is bounded by the same timeout.
    pub async fn connect_with_timeout(
        url: &str,
        namespace: &str,
        timeout: Duration,
    ) -> Result<Self, StateError> {
        let connection = redis_conn::connect(url, timeout)
            .await
            .map_err(|e| match e {
                redis_conn::ConnectError::InvalidUrl(m) => StateError::Backend(m),
                redis_conn::ConnectError::Unavailable(m) => StateError::Unavailable(m),
            })?;
        Ok(RedisStore {
            connection,
            namespace: Namespace::new(namespace),
            scripts: Scripts::new(),
            timeout,
            retention: DEFAULT_RETENTION,
        })
    }

    fn keys(&self, job: JobId) -> JobKeys {
        JobKeys::new(&self.namespace, &job)
    }

    /// A handle on the shared multiplexed connection; cloning it is cheap.
    fn conn(&self) -> ConnectionManager {
        self.connection.clone()
    }

    async fn run<T>(&self, request: impl Future<Output = RedisResult<T>>) -> Result<T, StateError> {
        redis_conn::bounded(self.timeout, request)
            .await
            .map_err(map_error)
    }
}

fn outcome_kind(outcome: &PageOutcome) -> &'static str {
    match outcome {
        PageOutcome::Finished => "finished",
        PageOutcome::Failed { .. } => "failed",
        PageOutcome::Cancelled => "cancelled",
    }
}

#[async_trait]
impl JobLifecycle for RedisStore {
    async fn create_job(&self, record: &JobRecord) -> Result<Vec<FetchTask>, StateError> {
        let keys = self.keys(record.job_id);
        let budget = record
            .spec
            .crawl_budget
            .map(|budget| budget.to_string())
            .unwrap_or_default();
        let mut invocation = self.scripts.create_job.prepare_invoke();
        invocation
            .key(&keys.record)
            .key(&keys.counters)
            .key(&keys.seen)
            .key(&keys.frontier)
            .key(&keys.seeds)
            .key(&keys.overflow)
            .arg(to_json(record)?)
            .arg(record.cost_per_page)
            .arg(&budget);
        for seed in record.spec.seed_tasks(record.job_id) {
            invocation.arg(&seed.url).arg(to_json(&seed)?);
        }
        let index = owner_index(&self.namespace, &record.owner);
        let mut conn = self.conn();
        let admitted: String = self
            .run(async {
                let admitted: String = invocation.invoke_async(&mut conn).await?;
                // The index lives in another Cluster slot, so it cannot join the script. It
                // is written second and idempotently: a retried create_job completes it,
                // and a listed job always exists.
                conn.zadd::<_, _, _, ()>(&index, record.job_id.to_string(), record.created_at_ms)
                    .await?;
                Ok(admitted)
            })
            .await?;
        json("seed tasks", &admitted)
    }

    async fn request_stop(&self, job: JobId, reason: StopReason) -> Result<(), StateError> {
        let keys = self.keys(job);
        let mut conn = self.conn();
        let _recorded: i64 = self
            .run(
                self.scripts
                    .request_stop
                    .key(&keys.counters)
                    .arg(reason.as_str())
                    .invoke_async(&mut conn),
            )
            .await?;
        Ok(())
    }

    async fn admit(
        &self,
        job: JobId,
        parent: &str,
        candidates: &[FetchTask],
    ) -> Result<Vec<FetchTask>, StateError> {
        let keys = self.keys(job);
        let mut invocation = self.scripts.admit.prepare_invoke();
        invocation
            .key(&keys.counters)
            .key(&keys.seen)
            .key(&keys.overflow)
            .key(&keys.admissions)
            .key(&keys.frontier)
            .arg(parent);
        for task in candidates {
            invocation.arg(&task.url).arg(to_json(task)?);
        }
        let mut conn = self.conn();
        let admitted: String = self.run(invocation.invoke_async(&mut conn)).await?;
        json("admitted tasks", &admitted)
    }

    async fn claim_redirect(
        &self,
        job: JobId,
        from: &str,
        target: &str,
    ) -> Result<bool, StateError> {
        let keys = self.keys(job);
        let mut conn = self.conn();
        let claimed: i64 = self
            .run(
                self.scripts
                    .claim_redirect
                    .key(&keys.counters)
                    .key(&keys.seen)
                    .key(&keys.redirects)
                    .arg(from)
                    .arg(target)
                    .invoke_async(&mut conn),
            )
            .await?;
        Ok(claimed == 1)
    }

    async fn claim_host_slot(
        &self,
        job: JobId,
        host: &str,
        url: &str,
        max_pages: u64,
    ) -> Result<bool, StateError> {
        let keys = self.keys(job);
        let host_key = self.namespace.job_key(&job, &format!("host_pages:{host}"));
        let mut conn = self.conn();
        let claimed: i64 = self
            .run(
                self.scripts
                    .claim_host_slot
                    .key(&keys.counters)
                    .key(&host_key)
                    .key(&keys.host_index)
                    .arg(url)
                    .arg(max_pages)
                    .invoke_async(&mut conn),
            )
            .await?;
        Ok(claimed == 1)
    }

    async fn record_outcome(
        &self,
        job: JobId,
        url: &str,
        outcome: &PageOutcome,
    ) -> Result<Recorded, StateError> {
        let keys = self.keys(job);
        let outcome_json = to_json(outcome)?;
        let mut conn = self.conn();
        let (repeated, stored): (i64, String) = self
            .run(
                self.scripts
                    .record_outcome
                    .key(&keys.counters)
                    .key(&keys.outcomes)
                    .key(&keys.overflow)
                    .key(&keys.outcome_order)
                    .key(&keys.frontier)
                    .arg(url)
                    .arg(outcome_kind(outcome))
                    .arg(&outcome_json)
                    .invoke_async(&mut conn),
            )
            .await?;
        let stored: StoredOutcome = json("page outcome", &stored)?;
        Ok(Recorded {
            credits: stored.credits,
            current_cost: stored.current_cost,
            promoted: stored.promoted,
            repeated: repeated == 1,
            outcome: stored.outcome,
        })
    }

    async fn close_task(&self, job: JobId, url: &str, depth: u32) -> Result<bool, StateError> {
        let keys = self.keys(job);
        let now = crawler_core::time::now_ms();
        let mut conn = self.conn();
        // The first four keys are the ones the script reads; all of them expire together.
        let mut invocation = self.scripts.close_task.prepare_invoke();
        for key in keys.all() {
            invocation.key(key);
        }
        invocation
            .arg(url)
            .arg(now)
            .arg(depth)
            .arg(self.retention.as_secs());
        let ended: i64 = self.run(invocation.invoke_async(&mut conn)).await?;
        if ended == 2 {
            self.list_due(job, now).await?;
        }
        Ok(ended > 0)
    }

    async fn summary_sent(&self, job: JobId, round: u32) -> Result<(), StateError> {
        self.mark_summary_sent(job, round).await
    }

    async fn keep_result(
        &self,
        job: JobId,
        item: u32,
        result: &ItemResult,
    ) -> Result<bool, StateError> {
        let key = self.keys(job).item_results;
        let value = to_json(result)?;
        let mut conn = self.conn();
        // HSETNX: the first result wins, which is what makes a repeat harmless.
        let kept: bool = self.run(conn.hset_nx(&key, item, value)).await?;
        Ok(kept)
    }

    async fn start_due(&self, job: JobId) -> Result<bool, StateError> {
        self.announcement_due(job).await
    }

    async fn started_sent(&self, job: JobId) -> Result<(), StateError> {
        self.mark_announced(job).await
    }
}

#[async_trait]
impl JobReads for RedisStore {
    async fn job(&self, job: JobId) -> Result<Option<JobRecord>, StateError> {
        let key = self.keys(job).record;
        let mut conn = self.conn();
        let raw: Option<String> = self.run(conn.get(&key)).await?;
        raw.map(|raw| json("job record", &raw)).transpose()
    }

    async fn status(&self, job: JobId) -> Result<Option<JobStatus>, StateError> {
        self.read_status(job).await
    }

    async fn list_jobs(&self, owner: &str, offset: u64, limit: u64) -> Result<JobPage, StateError> {
        self.read_list_jobs(owner, offset, limit).await
    }

    async fn control(&self, job: JobId) -> Result<JobControl, StateError> {
        self.read_control(job).await
    }

    async fn result(&self, job: JobId, item: u32) -> Result<Option<ItemResult>, StateError> {
        let key = self.keys(job).item_results;
        let mut conn = self.conn();
        let raw: Option<String> = self.run(conn.hget(&key, item)).await?;
        raw.map(|raw| json("item result", &raw)).transpose()
    }

    async fn frontier_depth(&self, job: JobId) -> Result<Option<u32>, StateError> {
        let keys = self.keys(job);
        let mut conn = self.conn();
        let lowest: Vec<String> = self
            .run(
                redis::cmd("ZRANGE")
                    .arg(&keys.frontier)
                    .arg(0)
                    .arg(0)
                    .query_async(&mut conn),
            )
            .await?;
        Ok(lowest.first().and_then(|depth| depth.parse().ok()))
    }

    async fn summary(&self, job: JobId) -> Result<SummaryEvent, StateError> {
        self.read_summary(job).await
    }

    async fn summary_due(&self, job: JobId) -> Result<bool, StateError> {
        self.read_summary_due(job).await
    }

    async fn due_summaries(&self, older: u64, limit: u64) -> Result<Vec<JobId>, StateError> {
        self.read_due_summaries(older, limit).await
    }
}

#[async_trait]
impl StateStore for RedisStore {
    async fn is_ready(&self) -> bool {
        let mut conn = self.conn();
        let pong: Result<String, StateError> =
            self.run(redis::cmd("PING").query_async(&mut conn)).await;
        pong.is_ok()
    }
}
