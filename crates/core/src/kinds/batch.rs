//! `batch`: many URLs, each a depth-0 seed fetched once with its own page event, and one
//! summary for the lot. Links on the pages are never followed, and there is no
//! `crawl.started`: each URL is its own request, not the start of a crawl.

use super::{KindRules, RetryRule, SeedSource};

pub(super) const RULES: KindRules = KindRules {
    seeds: SeedSource::UrlList,
    follows_links: false,
    announces_start: false,
    // Like a crawl for now; async jobs are to retry until their timeout instead.
    retries: RetryRule::ConfiguredAttempts,
};
