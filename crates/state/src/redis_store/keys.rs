//! The Redis keys of the state store.
//!
//! Every key of one job comes from [`Namespace::job_key`], which wraps the job id in a
//! `{...}` hash tag: all of them live in one Redis Cluster slot, so one Lua script may
//! touch them together.

use crawler_core::{JobId, Namespace};

/// The keys of one job.
pub(super) struct JobKeys {
    /// The `JobRecord` as JSON.
    pub record: String,
    /// A hash of counters and lifecycle fields: state, pending, reserved, cost, completed,
    /// failed, cancelled, cost_per_page, budget, stop_reason, finished_at, ended_by,
    /// started.
    pub counters: String,
    /// Every normalised URL admitted, overflowed or claimed by a redirect.
    pub seen: String,
    /// Tasks that found no room in the budget, oldest first, as JSON.
    pub overflow: String,
    /// The JSON array of the seed tasks the job's creation admitted.
    pub seeds: String,
    /// Parent URL -> JSON array of the tasks its links admitted.
    pub admissions: String,
    /// URL -> the stored outcome JSON.
    pub outcomes: String,
    /// URLs in the order their outcome was recorded.
    pub outcome_order: String,
    /// URLs whose task was closed.
    pub closed: String,
    /// Redirect target -> the URL whose redirect claimed it.
    pub redirects: String,
    /// The depths that still have pending tasks, scored by depth: its first member is the
    /// level the crawl is on.
    pub frontier: String,
    /// The per-host page sets of `max_pages_per_host`, so they can expire with the job.
    pub host_index: String,
    /// URL -> the page's `PageResult` JSON, for the results download.
    pub results: String,
    /// An async job's item number -> its kept result JSON.
    pub item_results: String,
}

impl JobKeys {
    /// Every fixed key of the job, for expiring them together.
    pub fn all(&self) -> [&str; 14] {
        [
            &self.counters,
            &self.closed,
            &self.frontier,
            &self.host_index,
            &self.record,
            &self.seen,
            &self.overflow,
            &self.seeds,
            &self.admissions,
            &self.outcomes,
            &self.outcome_order,
            &self.redirects,
            &self.results,
            &self.item_results,
        ]
    }

    pub fn new(namespace: &Namespace, job: &JobId) -> Self {
        let key = |suffix: &str| namespace.job_key(job, suffix);
        JobKeys {
            record: key("record"),
            counters: key("counters"),
            seen: key("seen"),
            overflow: key("overflow"),
            seeds: key("seeds"),
            admissions: key("admissions"),
            outcomes: key("outcomes"),
            outcome_order: key("outcome_order"),
            closed: key("closed"),
            redirects: key("redirects"),
            frontier: key("frontier"),
            host_index: key("host_index"),
            results: key("results"),
            item_results: key("item_results"),
        }
    }
}

/// The sorted set of an owner's jobs, scored by creation time.
///
/// It is a global key, in another Cluster slot than the job's keys, which is why
/// `create_job` updates it with its own command after the job's script.
pub(super) fn owner_index(namespace: &Namespace, owner: &str) -> String {
    namespace.global_key(&format!("owner:{owner}:jobs"))
}
