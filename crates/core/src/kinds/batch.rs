//! `batch`: many URLs, each a depth-0 seed fetched once (ScraperAPI's batch of async jobs).
//! Each URL is a job of its own for the user: its own id, status and one callback; no
//! summary for the lot. Links on the pages are never followed, there is no
//! `crawl.started`, and a failure that may pass is retried until the job's deadline.

use super::{KindRules, RetryRule, SeedSource};

pub(super) const RULES: KindRules = KindRules {
    seeds: SeedSource::UrlList,
    follows_links: false,
    announces_start: false,
    retries: RetryRule::UntilDeadline,
    sends_summary: false,
    seeds_are_jobs: true,
};
