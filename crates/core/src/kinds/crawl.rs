//! `crawl`: start at one URL and follow links level by level, within `max_depth`, the scope
//! and the regexes. The behaviour of every job before kinds existed.

use super::{KindRules, RetryRule, SeedSource};

pub(super) const RULES: KindRules = KindRules {
    seeds: SeedSource::StartUrl,
    follows_links: true,
    announces_start: true,
    retries: RetryRule::ConfiguredAttempts,
    sends_summary: true,
    seeds_are_jobs: false,
};
