//! robots.txt per RFC 9309, fetched once per host and shared by every worker.
//!
//! [`Robots::rules_for`] looks in three places, cheapest first:
//! 1. the worker's own cache of parsed rules (a minute by default), so pages of a busy host
//!    cost no store round trip;
//! 2. the shared [`RobotsStore`], which keeps the raw answer (status class and body) for
//!    `cache_ttl` (at most 24 h, RFC 9309 section 2.4), or for the short `unreachable_ttl`
//!    after a 5xx or no answer;
//! 3. the host itself, through the caller's [`RobotsFetcher`].
//!
//! Two workers missing the store at the same moment may both fetch the file; that costs
//! the host one extra small request, once per cache period, and avoids a cross-worker
//! lock whose holder could die. Within one worker, tasks of one host wait for a single
//! load.

mod local;
mod rules;
mod stored;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use url::Url;

use self::local::LocalRules;
use crate::{host_key, PolitenessError};

pub use rules::RobotsRules;
pub use stored::{RobotsResponse, StoredRobots, MAX_ROBOTS_BYTES};

/// Fetches a robots.txt; implemented by the caller, which owns the HTTP client.
///
/// The implementation follows up to 5 redirects (RFC 9309 section 2.3.1.2), reads at most
/// [`MAX_ROBOTS_BYTES`] of the body (more is cut here anyway), and reports connection
/// errors and timeouts as [`RobotsResponse::Unreachable`].
#[async_trait]
pub trait RobotsFetcher: Send + Sync {
    async fn fetch_robots(&self, url: &Url) -> RobotsResponse;
}

/// The shared cache of robots.txt answers, keyed by [`host_key`].
#[async_trait]
pub trait RobotsStore: Send + Sync + 'static {
    /// The stored answer, unless there is none or it expired.
    async fn get(&self, host_key: &str) -> Result<Option<StoredRobots>, PolitenessError>;

    /// Stores an answer for `ttl`, replacing any other.
    async fn put(
        &self,
        host_key: &str,
        robots: &StoredRobots,
        ttl: Duration,
    ) -> Result<(), PolitenessError>;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RobotsConfig {
    /// Our product token, matched against `User-agent` lines (case does not matter).
    pub user_agent_token: String,
    /// How long a fetched (2xx) or unavailable (4xx) answer is trusted.
    pub cache_ttl: Duration,
    /// How long an unreachable answer (5xx, 429, no answer) disallows its host.
    pub unreachable_ttl: Duration,
    /// How long a worker reuses parsed rules without asking the store.
    pub local_ttl: Duration,
}

pub struct Robots {
    store: Arc<dyn RobotsStore>,
    config: RobotsConfig,
    local: LocalRules,
}

impl Robots {
    pub fn new(store: Arc<dyn RobotsStore>, config: RobotsConfig) -> Self {
        let local = LocalRules::new(config.local_ttl);
        Robots {
            store,
            config,
            local,
        }
    }

    pub fn config(&self) -> &RobotsConfig {
        &self.config
    }

    /// The rules of `url`'s host, fetching its robots.txt through `fetcher` only when no
    /// worker has a fresh copy.
    pub async fn rules_for(
        &self,
        url: &Url,
        fetcher: &dyn RobotsFetcher,
    ) -> Result<RobotsRules, PolitenessError> {
        let host = host_key(url)?;
        if let Some(rules) = self.local.get(&host) {
            return Ok(rules);
        }
        let load_lock = self.local.load_lock(&host);
        let _loading = load_lock.lock().await;
        // Another task of this worker may have loaded the host while we waited.
        let result = match self.local.get(&host) {
            Some(rules) => Ok(rules),
            None => self.load(&host, url, fetcher).await,
        };
        self.local.loaded(&host);
        result
    }

    /// The rules of `url`'s host if this worker or the shared store has them, without
    /// fetching anything: `None` means [`Self::rules_for`] would fetch robots.txt.
    pub async fn cached_rules(&self, url: &Url) -> Result<Option<RobotsRules>, PolitenessError> {
        let host = host_key(url)?;
        if let Some(rules) = self.local.get(&host) {
            return Ok(Some(rules));
        }
        let Some(stored) = self.store.get(&host).await? else {
            return Ok(None);
        };
        let rules = RobotsRules::from_stored(&stored, &self.config.user_agent_token);
        self.local
            .put(&host, rules.clone(), self.stored_ttl(&stored));
        Ok(Some(rules))
    }

    async fn load(
        &self,
        host: &str,
        url: &Url,
        fetcher: &dyn RobotsFetcher,
    ) -> Result<RobotsRules, PolitenessError> {
        let stored = match self.store.get(host).await? {
            Some(stored) => stored,
            None => {
                let response = fetcher.fetch_robots(&robots_url(url)?).await;
                let stored = StoredRobots::from_response(response);
                let ttl = self.stored_ttl(&stored);
                self.store.put(host, &stored, ttl).await?;
                stored
            }
        };
        let rules = RobotsRules::from_stored(&stored, &self.config.user_agent_token);
        self.local
            .put(host, rules.clone(), self.stored_ttl(&stored));
        Ok(rules)
    }

    fn stored_ttl(&self, stored: &StoredRobots) -> Duration {
        stored.ttl(self.config.cache_ttl, self.config.unreachable_ttl)
    }
}

/// Where the robots.txt of `url`'s host lives: same scheme, host and port, path
/// `/robots.txt`, without credentials, query or fragment.
pub fn robots_url(url: &Url) -> Result<Url, PolitenessError> {
    let invalid = || PolitenessError::InvalidUrl(url.as_str().to_string());
    let mut robots = url.join("/robots.txt").map_err(|_| invalid())?;
    robots.set_username("").map_err(|()| invalid())?;
    robots.set_password(None).map_err(|()| invalid())?;
    robots.set_query(None);
    robots.set_fragment(None);
    Ok(robots)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn robots_url_keeps_scheme_host_and_port_only() {
        let of = |raw: &str| robots_url(&Url::parse(raw).unwrap()).unwrap().to_string();
        assert_eq!(
            of("https://user:pw@a.test:8443/x/y?q=1#f"),
            "https://a.test:8443/robots.txt"
        );
        assert_eq!(of("http://a.test"), "http://a.test/robots.txt");
    }
}
