//! [`Politeness`]: what the fetcher worker calls around each fetch.
//!
//! ```text
//! check_robots(url)             -> disallowed? fail the page as robots_disallowed
//! acquire(url, delays)          -> Wait(d)? re-queue the task with delay d
//! ... fetch ...
//! release(lease, status, retry) -> 429/503 back the host off for every worker
//! ```

use std::sync::Arc;
use std::time::Duration;

use crawler_state::StateBackend;
use url::Url;

use crate::memory::{MemoryGate, MemoryRobotsStore};
use crate::redis_store::RedisPoliteness;
use crate::{
    host_key, Backends, Backoff, Gate, HostGate, Lease, PaceRules, PolitenessConfig,
    PolitenessError, Robots, RobotsFetcher,
};

/// What robots.txt says about one URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RobotsVerdict {
    pub allowed: bool,
    /// Set when `allowed` is false only because robots.txt could not be fetched (5xx,
    /// 429, no answer): RFC 9309 says to assume complete disallow for a while.
    pub unreachable: bool,
    /// The host's `Crawl-delay` for us, uncapped; pass it to [`Politeness::acquire`],
    /// which caps it.
    pub crawl_delay: Option<Duration>,
}

pub struct Politeness {
    gate: Arc<dyn HostGate>,
    robots: Robots,
    config: PolitenessConfig,
}

impl Politeness {
    pub fn new(backends: Backends, config: PolitenessConfig) -> Self {
        Politeness {
            gate: backends.gate,
            robots: Robots::new(backends.robots, config.robots()),
            config,
        }
    }

    /// Over the in-memory stores, for the embedded mode.
    pub fn memory(config: PolitenessConfig) -> Self {
        let backends = Backends {
            gate: Arc::new(MemoryGate::new(config.gate)),
            robots: Arc::new(MemoryRobotsStore::new()),
        };
        Self::new(backends, config)
    }

    /// Over Redis, shared by every worker using the same `namespace`.
    pub async fn redis(
        url: &str,
        namespace: &str,
        config: PolitenessConfig,
    ) -> Result<Self, PolitenessError> {
        let store = RedisPoliteness::connect(url, namespace, config.gate).await?;
        let backends = Backends {
            gate: Arc::new(store.clone()),
            robots: Arc::new(store),
        };
        Ok(Self::new(backends, config))
    }

    /// Over the backend the job state uses.
    pub async fn connect(
        backend: &StateBackend,
        namespace: &str,
        config: PolitenessConfig,
    ) -> Result<Self, PolitenessError> {
        let backends = crate::connect(backend, namespace, config.gate).await?;
        Ok(Self::new(backends, config))
    }

    pub fn config(&self) -> &PolitenessConfig {
        &self.config
    }

    /// Whether robots.txt lets us fetch `url`, and the host's Crawl-delay.
    pub async fn check_robots(
        &self,
        url: &Url,
        fetcher: &dyn RobotsFetcher,
    ) -> Result<RobotsVerdict, PolitenessError> {
        let rules = self.robots.rules_for(url, fetcher).await?;
        Ok(RobotsVerdict {
            allowed: rules.is_allowed(url),
            unreachable: rules.is_unreachable(),
            crawl_delay: rules.crawl_delay(),
        })
    }

    /// Asks for a slot on `url`'s host. The least time between starts is the largest of
    /// the configured delay, the job's own delay and the host's Crawl-delay (capped at
    /// `crawl_delay_cap`).
    pub async fn acquire(
        &self,
        url: &Url,
        job_delay: Option<Duration>,
        crawl_delay: Option<Duration>,
    ) -> Result<Gate, PolitenessError> {
        let host = host_key(url)?;
        let crawl_delay = crawl_delay.map(|delay| delay.min(self.config.crawl_delay_cap));
        let min_interval = self
            .config
            .delay
            .max(job_delay.unwrap_or_default())
            .max(crawl_delay.unwrap_or_default());
        let rules = PaceRules {
            max_concurrency: self.config.max_concurrency_per_host,
            min_interval,
        };
        self.gate.acquire(&host, rules).await
    }

    /// Frees the lease after a fetch. `status` is the response's HTTP status (`None`
    /// when there was no response) and `retry_after` its parsed `Retry-After`.
    ///
    /// A 429 or 503 backs the host off for every worker: for `Retry-After` (capped at
    /// `crawl_delay_cap`) when given, else for `throttle_backoff` doubled per consecutive
    /// 429/503 from the host, up to `crawl_delay_cap`. Any other outcome resets that count.
    pub async fn release(
        &self,
        lease: &Lease,
        status: Option<u16>,
        retry_after: Option<Duration>,
    ) -> Result<(), PolitenessError> {
        let cap = self.config.crawl_delay_cap;
        let backoff = match status {
            Some(429 | 503) => Some(match retry_after {
                Some(pause) => Backoff::Exactly(pause.min(cap)),
                None => Backoff::Escalating {
                    base: self.config.throttle_backoff.min(cap),
                    cap,
                },
            }),
            _ => None,
        };
        self.gate.release(lease, backoff).await
    }
}
