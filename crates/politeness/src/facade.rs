//! [`Politeness`]: what the fetcher worker calls around each fetch.
//!
//! ```text
//! check_robots_paced(url)       -> Wait(d)? robots.txt must be fetched first and the host
//!                                  is not ready for a request: re-queue the task
//!                               -> disallowed? fail the page as robots_disallowed
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
    host_key, Backoff, Gate, HostGate, Lease, PaceRules, PolitenessConfig, PolitenessError,
    PolitenessStores, Robots, RobotsFetcher,
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

/// The answer of [`Politeness::check_robots_paced`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RobotsCheck {
    Verdict(RobotsVerdict),
    /// robots.txt has to be fetched, and the host's pace allows no request yet: ask
    /// again after this long.
    Wait(Duration),
}

pub struct Politeness {
    gate: Arc<dyn HostGate>,
    robots: Robots,
    config: PolitenessConfig,
}

impl Politeness {
    pub fn new(backends: PolitenessStores, config: PolitenessConfig) -> Self {
        Politeness {
            gate: backends.gate,
            robots: Robots::new(backends.robots, config.robots()),
            config,
        }
    }

    /// Over the in-memory stores, for the embedded mode.
    pub fn memory(config: PolitenessConfig) -> Self {
        let backends = PolitenessStores {
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
        let backends = PolitenessStores {
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

    /// Like [`Self::check_robots`], with the robots.txt request paced like any other
    /// request to the host: when no worker has the file, fetching it takes one of the
    /// host's slots and a start of its own, at least `delay` after the previous request
    /// and before the next one. A site asking for one request per second otherwise sees
    /// robots.txt and the first page a millisecond apart. When the host is not ready,
    /// the answer is how long to wait, so the caller delays the task rather than hold a
    /// fetch slot.
    pub async fn check_robots_paced(
        &self,
        url: &Url,
        fetcher: &dyn RobotsFetcher,
    ) -> Result<RobotsCheck, PolitenessError> {
        if self.robots.cached_rules(url).await?.is_some() {
            return self
                .check_robots(url, fetcher)
                .await
                .map(RobotsCheck::Verdict);
        }
        let lease = match self.acquire(url, None, None).await? {
            Gate::Granted(lease) => lease,
            Gate::Wait(delay) => return Ok(RobotsCheck::Wait(delay)),
        };
        let verdict = self.check_robots(url, fetcher).await;
        // How robots.txt answered is not a throttle signal for pages: a 5xx there keeps
        // the host disallowed for a while anyway.
        let released = self.release(&lease, None, None).await;
        let verdict = verdict?;
        released?;
        Ok(RobotsCheck::Verdict(verdict))
    }

    /// Whether robots.txt lets us fetch `url`, and the host's Crawl-delay. The robots.txt
    /// request, if one is needed, is not paced: see [`Self::check_robots_paced`].
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
