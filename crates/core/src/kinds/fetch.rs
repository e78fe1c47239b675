//! `fetch`: one URL, one page event, one summary (ScraperAPI's Async job). Links on the
//! page are never followed, and there is no `crawl.started`: the job is a single request.

use super::{KindRules, RetryRule, SeedSource};

pub(super) const RULES: KindRules = KindRules {
    seeds: SeedSource::StartUrl,
    follows_links: false,
    announces_start: false,
    // Like a crawl for now; async jobs are to retry until their timeout instead.
    retries: RetryRule::ConfiguredAttempts,
};
