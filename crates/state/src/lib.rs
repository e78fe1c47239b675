//! Job state: the job record, the seen-set of normalised URLs, the budget, the pending
//! count and every page's outcome.
//!
//! Two implementations: [`redis_store::RedisStore`] for the distributed roles, where every
//! multi-key update is one Lua script so that a crash can never leave it half done, and
//! [`memory::MemoryStore`] for the embedded mode, where one mutex gives the same
//! atomicity. Both pass the same conformance suite (`tests/common/suite/`, run by
//! `tests/memory.rs` and `tests/redis.rs`).
//!
//! # The life of a URL
//! 1. **Admitted** by [`JobLifecycle::admit`] (or [`JobLifecycle::create_job`] for the seed
//!    URLs: a crawl's start URL, a batch's URLs): added to the seen-set, its cost reserved
//!    against the budget, `pending + 1`.
//!    When the budget has no room, the URL goes to the job's overflow list instead: it is
//!    seen (never admitted twice) but not queued.
//! 2. **Recorded** by [`JobLifecycle::record_outcome`]: `finished` turns the reservation into
//!    cost, `failed` and `cancelled` refund it. A refund promotes URLs from the overflow
//!    list while the budget has room; they come back to the caller to publish.
//! 3. **Closed** by [`JobLifecycle::close_task`]: `pending - 1`. The call that brings pending
//!    to zero ends the job and is told so; it publishes the summary.
//!
//! Every step is idempotent per URL, and a repeated step returns what the first returned
//! (the admitted tasks, the promoted tasks, whether it ended the job), so a worker that
//! crashed half-way and whose task was redelivered republishes exactly what was lost.

pub mod memory;
pub mod record_cache;
pub mod redis_conn;
pub mod redis_store;
mod snapshot;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use crawler_core::{
    FetchTask, JobId, JobRecord, JobStatus, PageEvent, PageResult, StopReason, SummaryEvent,
};
use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("state store unavailable: {0}")]
    Unavailable(String),
    #[error("state store error: {0}")]
    Backend(String),
    #[error("corrupt state record: {0}")]
    Corrupt(String),
    #[error("no such job")]
    NoSuchJob,
}

impl StateError {
    /// Whether trying again later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, StateError::Unavailable(_))
    }
}

/// How a page ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum PageOutcome {
    /// Fetched successfully; costs the job's cost per page.
    Finished,
    /// Failed for good; costs nothing.
    Failed { reason: String },
    /// Not fetched because the job was stopping; costs nothing.
    Cancelled,
}

/// What [`JobLifecycle::record_outcome`] decided (or had decided the first time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recorded {
    /// Credits the page cost.
    pub credits: u64,
    /// The job's total cost right after this page.
    pub current_cost: u64,
    /// Tasks promoted from the overflow list by this page's refund; publish them.
    pub promoted: Vec<FetchTask>,
    /// True when the outcome had already been recorded by an earlier delivery.
    pub repeated: bool,
    /// The outcome that is recorded: this call's, or on a repeat the first call's, which
    /// is the one the page's event must report.
    pub outcome: PageOutcome,
}

/// Where a job stands, checked by workers before every fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobControl {
    /// No such job (never created, or expired).
    Missing,
    Running,
    /// A cancel or timeout was requested: drain the remaining tasks as cancelled.
    Stopping(StopReason),
    /// The summary was already decided.
    Ended,
}

/// The result of one item of an async job (a job whose seeds are jobs of their own): its
/// page event as the worker built it, the body whole, and when it was kept, which is what
/// its retention counts from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemResult {
    pub kept_at_ms: u64,
    pub event: PageEvent,
}

/// A page of a user's job list.
#[derive(Debug, Clone, PartialEq)]
pub struct JobPage {
    pub jobs: Vec<JobStatus>,
    pub total: u64,
}

/// The steps that move a job along: creating it with its seeds, admitting links,
/// recording outcomes, closing tasks, stopping. Each is one atomic, idempotent step that
/// answers a repeat with its first answer.
#[async_trait]
pub trait JobLifecycle: Send + Sync + 'static {
    /// Stores a new job and admits its seed URLs (`record.spec.seed_urls()`) in the same
    /// atomic step, as depth-0 tasks: each distinct seed is added to the seen-set and
    /// either admitted (budget reserved, pending + 1) or, when the budget has no room, put
    /// in the overflow list, exactly as [`JobLifecycle::admit`] treats links. Returns the
    /// admitted seed tasks, for the caller to publish. Idempotent: a repeated call for the
    /// same job id changes nothing and returns the first call's tasks.
    ///
    /// A job that admits no seed has no task whose close could end it, which is why the
    /// coordinator refuses a job whose first page costs more than its budget.
    async fn create_job(&self, record: &JobRecord) -> Result<Vec<FetchTask>, StateError>;

    /// Asks a running job to stop; idempotent, and a no-op once the job ended or a stop
    /// was already requested (the first reason wins).
    async fn request_stop(&self, job: JobId, reason: StopReason) -> Result<(), StateError>;

    /// Atomically admits the links found on `parent`: each candidate not seen before is
    /// added to the seen-set and either admitted (budget reserved, pending + 1) or put in
    /// the overflow list when the budget is full. Returns the admitted tasks. Idempotent
    /// per parent: a second call returns the first call's tasks.
    async fn admit(
        &self,
        job: JobId,
        parent: &str,
        candidates: &[FetchTask],
    ) -> Result<Vec<FetchTask>, StateError>;

    /// Claims `target`, the final URL a redirect from `from` led to, in the seen-set.
    /// True when it was unseen or already claimed by `from`; false when another page
    /// owns it (the redirect is a duplicate).
    async fn claim_redirect(
        &self,
        job: JobId,
        from: &str,
        target: &str,
    ) -> Result<bool, StateError>;

    /// Takes one of `host`'s `max_pages` slots for `url` (`max_pages_per_host`). True when
    /// `url` has a slot (a repeat keeps it), false when the host's pages are all taken.
    async fn claim_host_slot(
        &self,
        job: JobId,
        host: &str,
        url: &str,
        max_pages: u64,
    ) -> Result<bool, StateError>;

    /// Records how the page at `url` ended. Idempotent per URL.
    async fn record_outcome(
        &self,
        job: JobId,
        url: &str,
        outcome: &PageOutcome,
    ) -> Result<Recorded, StateError>;

    /// Closes the task of `url` (pending - 1). Returns true when this URL's close ended
    /// the job, on the first call and on any repeat, so that a redelivered task
    /// republishes a summary that may have been lost.
    ///
    /// The close that ends the job also marks its summary due (see
    /// [`JobReads::summary_due`]) in the same atomic step, and lists the job in the index
    /// of due summaries ([`JobReads::due_summaries`]) right after.
    async fn close_task(&self, job: JobId, url: &str, depth: u32) -> Result<bool, StateError>;

    /// True until [`JobLifecycle::started_sent`] was called for the job: the
    /// `crawl.started` event is due. Announcing is at least once (a seed redelivered after
    /// a crash before the confirm announces again, under the same event id), never zero.
    async fn start_due(&self, job: JobId) -> Result<bool, StateError>;

    /// Records that the broker confirmed the job's `crawl.started` event.
    async fn started_sent(&self, job: JobId) -> Result<(), StateError>;

    /// The broker confirmed the summary of round `round`: it is no longer due. A stale
    /// call (a round before the one now due) changes nothing, so a late confirmation of
    /// an earlier round never hides the summary of a continuation.
    async fn summary_sent(&self, job: JobId, round: u32) -> Result<(), StateError>;

    /// Keeps the result of item `item` of an async job. The first result kept wins: a
    /// repeat (a redelivered task), or a worker finishing an item the user cancelled
    /// meanwhile, changes nothing. True when this call kept it. The result leaves the
    /// store with the job's other keys.
    async fn keep_result(
        &self,
        job: JobId,
        item: u32,
        result: &ItemResult,
    ) -> Result<bool, StateError>;
}

/// What can be read about a job without changing it.
#[async_trait]
pub trait JobReads: Send + Sync + 'static {
    async fn job(&self, job: JobId) -> Result<Option<JobRecord>, StateError>;

    async fn status(&self, job: JobId) -> Result<Option<JobStatus>, StateError>;

    /// The owner's jobs, newest first.
    async fn list_jobs(&self, owner: &str, offset: u64, limit: u64) -> Result<JobPage, StateError>;

    async fn control(&self, job: JobId) -> Result<JobControl, StateError>;

    /// The kept result of item `item` of an async job; `None` while it runs.
    async fn result(&self, job: JobId, item: u32) -> Result<Option<ItemResult>, StateError>;

    /// The smallest depth that still has pending tasks (`None` once nothing is pending).
    ///
    /// Workers fetch a page only when its depth is this one, so a crawl goes level by
    /// level: every URL is first found from a page at its shortest distance from the start,
    /// and gets that distance as its depth, however many workers run and in whatever order
    /// the queue hands their tasks out. Without this, a page reached first by a long path
    /// would get a larger depth and could lose its subtree to `max_depth`.
    async fn frontier_depth(&self, job: JobId) -> Result<Option<u32>, StateError>;

    /// The summary of an ended job (or the state so far of a running one).
    async fn summary(&self, job: JobId) -> Result<SummaryEvent, StateError>;

    /// Whether the job ended and its summary is not yet confirmed sent: a task of an
    /// ended job that finds it due publishes the summary (a worker died, or the publish
    /// failed, after the ending close). False for a missing or running job.
    async fn summary_due(&self, job: JobId) -> Result<bool, StateError>;

    /// Up to `limit` jobs whose summary became due at or before `older_than_ms`, oldest
    /// first, for a sweeper to publish when no task of theirs is left to do it. An entry
    /// can outlive its due mark (a crash between the confirmation and the index update),
    /// so a caller checks [`JobReads::summary_due`] before publishing.
    async fn due_summaries(&self, older_than_ms: u64, limit: u64)
        -> Result<Vec<JobId>, StateError>;
}

/// One page of a job's results and where the next one starts.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultsPage {
    pub results: Vec<PageResult>,
    /// The offset of the next page; `None` after the last.
    pub next: Option<u64>,
}

/// What a job keeps of its pages, and the two steps that act on a whole job after it
/// ended: continuing it with some pages fetched again, and purging it.
#[async_trait]
pub trait JobData: Send + Sync + 'static {
    /// Stores the result of one page, replacing an earlier one of the same URL (a page
    /// fetched again by a continuation, or a task redelivered after a crash).
    async fn put_result(&self, job: JobId, result: &PageResult) -> Result<(), StateError>;

    /// The results of the pages whose outcome is recorded, in the order they were
    /// recorded: the `offset`-th outcome on, at most `limit` outcomes' worth. A caller
    /// streams a whole job by following `next`, never holding more than one page.
    async fn results(&self, job: JobId, offset: u64, limit: u64)
        -> Result<ResultsPage, StateError>;

    /// Reopens an ended job so that `tasks` (URLs it already fetched, at their depth) are
    /// fetched again: each one's outcome is forgotten (a finished page gives its cost
    /// back), its task is pending again with its cost reserved, and the job runs until
    /// they are closed, when it ends with a new summary (`round` + 1). A failed page the
    /// budget has no room for stays as it was. Returns the tasks to publish; nothing
    /// changes, and none are returned, unless the job has ended.
    async fn reopen(&self, job: JobId, tasks: &[FetchTask]) -> Result<Vec<FetchTask>, StateError>;

    /// Deletes the job, its page results and its place in its owner's list. Returns
    /// whether there was such a job.
    async fn purge(&self, job: JobId) -> Result<bool, StateError>;
}

// --- Replaying a redelivered task -------------------------------------------------------

/// What the store already holds for one URL of a job, from deliveries of its task before
/// this one: what a redelivered task republishes before it decides anything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecordedEffects {
    /// The tasks the URL brought in, by [`JobLifecycle::admit`] from its links and by its
    /// outcome's refund, whose own task is not closed yet: the ones a crash before their
    /// publish would leave without a message. A closed one has done all it will do, so it
    /// is left out, which keeps a duplicate delivery from replaying a whole subtree.
    pub open_tasks: Vec<FetchTask>,
    /// The URL's outcome, when [`JobLifecycle::record_outcome`] ran for it.
    pub outcome: Option<RecordedOutcome>,
    /// The page's result ([`JobData::put_result`]), which a crawl stores before the
    /// outcome: what its page event is rebuilt from. Read only with an outcome.
    pub result: Option<PageResult>,
}

impl RecordedEffects {
    /// True when the URL has no outcome and no open task to republish: nothing to replay.
    pub fn is_empty(&self) -> bool {
        self.open_tasks.is_empty() && self.outcome.is_none()
    }
}

/// A recorded outcome with what [`JobLifecycle::record_outcome`] decided for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedOutcome {
    pub outcome: PageOutcome,
    /// Credits the page cost.
    pub credits: u64,
    /// The job's total cost right after this page.
    pub current_cost: u64,
}

/// The read a worker makes before acting on a delivery, so a task redelivered after a
/// crash republishes what the earlier delivery recorded instead of deciding again.
#[async_trait]
pub trait TaskReplays: Send + Sync + 'static {
    /// What is recorded for `url` of `job`, in one consistent read. Nothing recorded (or
    /// no such job) reads as [`RecordedEffects::default`].
    async fn recorded_effects(&self, job: JobId, url: &str) -> Result<RecordedEffects, StateError>;
}

/// Every capability of the job store, as one object the roles share. A caller that only
/// reads (the coordinator's status routes, caches of job records) can take a `JobReads`.
#[async_trait]
pub trait StateStore: JobLifecycle + JobReads + JobData + TaskReplays {
    /// Whether the store is reachable right now.
    async fn is_ready(&self) -> bool;
}

/// Which state backend to use.
#[derive(Debug, Clone)]
pub enum StateBackend {
    Memory,
    /// Redis; an ended job's keys expire after `retention`.
    Redis {
        url: String,
        retention: Duration,
    },
}

impl StateBackend {
    /// Redis with the default retention of ended jobs.
    pub fn redis(url: impl Into<String>) -> Self {
        StateBackend::Redis {
            url: url.into(),
            retention: redis_store::DEFAULT_RETENTION,
        }
    }
}

/// The one place that chooses the backend.
pub async fn connect(
    backend: &StateBackend,
    namespace: &str,
) -> Result<Arc<dyn StateStore>, StateError> {
    Ok(match backend {
        StateBackend::Memory => Arc::new(memory::MemoryStore::new()),
        StateBackend::Redis { url, retention } => Arc::new(
            redis_store::RedisStore::connect(url, namespace)
                .await?
                .with_retention(*retention),
        ),
    })
}
