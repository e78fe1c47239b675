//! `fetch`: one URL, one callback (ScraperAPI's async job): a batch of one. Links on the
//! page are never followed, there is no `crawl.started` and no summary, and a failure that
//! may pass is retried until the job's deadline.

use super::{KindRules, RetryRule, SeedSource};

pub(super) const RULES: KindRules = KindRules {
    seeds: SeedSource::StartUrl,
    follows_links: false,
    announces_start: false,
    retries: RetryRule::UntilDeadline,
    sends_summary: false,
    seeds_are_jobs: true,
};
