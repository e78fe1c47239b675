//! Job kinds: what distinguishes a crawl from a single fetch or a batch of fetches.
//!
//! Every kind runs on the same pipeline (admission, fetch, outcome, close, summary). What
//! differs is a handful of rules, and each kind states them once, as a [`KindRules`] value
//! in its own module. Callers ask `spec.kind.rules()` rather than comparing kinds, so a new
//! kind is one module here plus one arm of [`JobKind`], and no code elsewhere changes.

mod batch;
mod crawl;
mod fetch;

use serde::{Deserialize, Serialize};

/// What sort of job a user submitted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// Starts at one URL and follows its links (ScraperAPI's Crawler).
    #[default]
    Crawl,
    /// Fetches one URL, no links followed (ScraperAPI's Async job).
    Fetch,
    /// Fetches each of a list of URLs at depth 0, no links followed (ScraperAPI's batch).
    Batch,
}

impl JobKind {
    /// The rules the pipeline applies to jobs of this kind.
    pub fn rules(self) -> KindRules {
        match self {
            JobKind::Crawl => crawl::RULES,
            JobKind::Fetch => fetch::RULES,
            JobKind::Batch => batch::RULES,
        }
    }

    /// The kind's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Crawl => "crawl",
            JobKind::Fetch => "fetch",
            JobKind::Batch => "batch",
        }
    }

    /// True for the default kind; stored records leave it out, so a crawl's record
    /// serialises exactly as it did before kinds existed.
    pub fn is_crawl(&self) -> bool {
        *self == JobKind::Crawl
    }
}

/// Everything the pipeline does differently for one kind of job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindRules {
    /// Where the job's depth-0 tasks come from.
    pub seeds: SeedSource,
    /// Whether links found on a page are admitted (within `max_depth` and the scope).
    pub follows_links: bool,
    /// Whether the job emits `crawl.started` when its first seed is taken up.
    pub announces_start: bool,
    /// When a page whose fetch may succeed later is tried again.
    pub retries: RetryRule,
    /// Whether the job's last event, the summary, goes to its webhook. An async job's
    /// receiver gets one callback per URL and nothing else (ScraperAPI's rule).
    pub sends_summary: bool,
    /// Whether each seed is a job of its own for the user (ScraperAPI's async job): it is
    /// numbered (item 1, 2, …, see [`crate::async_job`]), has an id of its own, and its
    /// outcome is kept as a result readable by that id.
    pub seeds_are_jobs: bool,
}

/// Which URLs of a job's spec are admitted when the job is created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeedSource {
    /// The one `start_url`.
    StartUrl,
    /// Every URL of `urls`, in order.
    UrlList,
}

/// How a kind retries a fetch that failed in a way that may pass (timeouts, connection
/// errors, 5xx, 429).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryRule {
    /// Up to the worker's configured number of tries (`fetch_max_attempts`) in all.
    ConfiguredAttempts,
    /// Again and again, with backoff, until the job's deadline (`timeoutSec`); a page
    /// still failing then fails with [`crate::async_job::FAILED_DUE_TO_TIMEOUT`].
    UntilDeadline,
}

impl RetryRule {
    /// Whether a page that has been tried `tries_made` times gets another try, when the
    /// worker is configured for `max_attempts` tries.
    pub fn may_retry(self, tries_made: u32, max_attempts: u32) -> bool {
        match self {
            RetryRule::ConfiguredAttempts => tries_made < max_attempts,
            RetryRule::UntilDeadline => true,
        }
    }

    /// What a task taken up after its job's deadline comes to: `true` when the page fails
    /// with `failed_due_to_timeout` (each seed being a job of its own, only its own time
    /// ran out), `false` when the whole job stops with `stopReason: timeout`.
    pub fn fails_page_at_deadline(self) -> bool {
        matches!(self, RetryRule::UntilDeadline)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_snake_case_on_the_wire_and_crawl_by_default() {
        for kind in [JobKind::Crawl, JobKind::Fetch, JobKind::Batch] {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
            assert_eq!(serde_json::from_str::<JobKind>(&json).unwrap(), kind);
        }
        assert_eq!(JobKind::default(), JobKind::Crawl);
        assert!(JobKind::Crawl.is_crawl());
        assert!(!JobKind::Batch.is_crawl());
    }

    #[test]
    fn only_a_crawl_follows_links_and_announces_its_start() {
        let crawl = JobKind::Crawl.rules();
        assert!(crawl.follows_links && crawl.announces_start);
        assert_eq!(crawl.seeds, SeedSource::StartUrl);
        for kind in [JobKind::Fetch, JobKind::Batch] {
            let rules = kind.rules();
            assert!(!rules.follows_links, "{kind:?}");
            assert!(!rules.announces_start, "{kind:?}");
        }
        assert_eq!(JobKind::Fetch.rules().seeds, SeedSource::StartUrl);
        assert_eq!(JobKind::Batch.rules().seeds, SeedSource::UrlList);
    }

    #[test]
    fn async_kinds_retry_until_their_deadline_and_send_no_summary() {
        for kind in [JobKind::Fetch, JobKind::Batch] {
            let rules = kind.rules();
            assert_eq!(rules.retries, RetryRule::UntilDeadline, "{kind:?}");
            assert!(rules.seeds_are_jobs && !rules.sends_summary, "{kind:?}");
            assert!(rules.retries.may_retry(100, 3));
            assert!(rules.retries.fails_page_at_deadline());
        }
        let crawl = JobKind::Crawl.rules();
        assert!(crawl.sends_summary && !crawl.seeds_are_jobs);
        assert!(!crawl.retries.fails_page_at_deadline());
    }

    #[test]
    fn configured_attempts_count_every_try() {
        let rule = RetryRule::ConfiguredAttempts;
        assert!(rule.may_retry(1, 3));
        assert!(rule.may_retry(2, 3));
        assert!(!rule.may_retry(3, 3));
        assert!(!rule.may_retry(1, 1));
    }
}
