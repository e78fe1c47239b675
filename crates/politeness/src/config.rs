//! The politeness knobs, read once from [`Settings`].

use std::time::Duration;

use crawler_config::Settings;

use crate::{GateSettings, RobotsConfig};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolitenessConfig {
    /// Our product token in robots.txt, taken from the front of `user_agent`.
    pub user_agent_token: String,
    /// Requests in flight to one host across all workers.
    pub max_concurrency_per_host: u32,
    /// Least time between two request starts to one host.
    pub delay: Duration,
    /// Upper bound on a honoured `Crawl-delay` or `Retry-After`.
    pub crawl_delay_cap: Duration,
    /// First pause after a 429/503 without `Retry-After`; doubled per further one.
    pub throttle_backoff: Duration,
    pub robots_cache_ttl: Duration,
    pub robots_unreachable_ttl: Duration,
    /// How long a worker reuses parsed robots rules before asking the store again.
    pub robots_local_ttl: Duration,
    pub gate: GateSettings,
}

/// A minute: short enough that a robots.txt change reaches every worker soon after the
/// shared copy expires, long enough to spare the store a read per page.
const ROBOTS_LOCAL_TTL: Duration = Duration::from_secs(60);

/// How long a worker told "every slot is busy" waits at most before asking again.
const BUSY_RETRY: Duration = Duration::from_millis(100);

impl PolitenessConfig {
    pub fn from_settings(settings: &Settings) -> Self {
        PolitenessConfig {
            user_agent_token: product_token(&settings.user_agent),
            max_concurrency_per_host: settings.max_concurrency_per_host,
            delay: Duration::from_millis(settings.delay_ms),
            crawl_delay_cap: Duration::from_millis(settings.crawl_delay_cap_ms),
            throttle_backoff: Duration::from_millis(settings.throttle_backoff_ms),
            robots_cache_ttl: Duration::from_secs(settings.robots_cache_sec),
            robots_unreachable_ttl: Duration::from_secs(settings.robots_unreachable_sec),
            robots_local_ttl: ROBOTS_LOCAL_TTL,
            gate: GateSettings {
                lease_ttl: Duration::from_millis(settings.host_lease_ttl_ms),
                busy_retry: BUSY_RETRY,
            },
        }
    }

    pub fn robots(&self) -> RobotsConfig {
        RobotsConfig {
            user_agent_token: self.user_agent_token.clone(),
            cache_ttl: self.robots_cache_ttl,
            unreachable_ttl: self.robots_unreachable_ttl,
            local_ttl: self.robots_local_ttl,
        }
    }
}

impl Default for PolitenessConfig {
    fn default() -> Self {
        Self::from_settings(&Settings::defaults())
    }
}

/// The product token of a User-Agent header: its leading letters, `_` and `-` (RFC 9309
/// section 2.2.1), so `crawler/0.1 (+https://...)` is `crawler`. Without one, only the
/// `*` group of a robots.txt applies to us.
pub(crate) fn product_token(user_agent: &str) -> String {
    let token: String = user_agent
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_alphabetic() || matches!(c, '_' | '-'))
        .collect();
    if token.is_empty() {
        "*".to_string()
    } else {
        token
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_token_is_the_user_agents_leading_name() {
        assert_eq!(product_token("crawler/0.1 (+https://x.test)"), "crawler");
        assert_eq!(product_token("My_Bot-2"), "My_Bot-");
        assert_eq!(product_token("  ExampleBot"), "ExampleBot");
        assert_eq!(product_token("1bot"), "*");
        assert_eq!(product_token(""), "*");
    }

    #[test]
    fn defaults_come_from_the_settings_file() {
        let config = PolitenessConfig::default();
        assert_eq!(config.user_agent_token, "crawler");
        assert_eq!(config.max_concurrency_per_host, 8);
        assert_eq!(config.delay, Duration::ZERO);
        assert_eq!(config.crawl_delay_cap, Duration::from_secs(30));
        assert_eq!(config.robots_cache_ttl, Duration::from_secs(24 * 3600));
        assert_eq!(config.robots_unreachable_ttl, Duration::from_secs(600));
        assert_eq!(config.throttle_backoff, Duration::from_secs(5));
        assert!(config.gate.lease_ttl > Duration::from_secs(60));
    }
}
