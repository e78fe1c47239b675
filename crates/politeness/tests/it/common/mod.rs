//! Helpers shared by the test modules, and the macro that runs the one gate conformance
//! suite (`gate_suite.rs`) against a backend.

#![allow(dead_code)]

pub mod gate_suite;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use crawler_politeness::memory::MemoryRobotsStore;
use crawler_politeness::{GateSettings, Robots, RobotsConfig, RobotsFetcher, RobotsResponse};
use url::Url;

/// Short enough that expiry tests take a fraction of a second, long enough to outlive
/// the few milliseconds a test holds a lease.
pub const TEST_GATE: GateSettings = GateSettings {
    lease_ttl: Duration::from_millis(300),
    busy_retry: Duration::from_millis(20),
};

pub fn robots_config(token: &str) -> RobotsConfig {
    RobotsConfig {
        user_agent_token: token.to_string(),
        cache_ttl: Duration::from_secs(24 * 3600),
        unreachable_ttl: Duration::from_secs(600),
        local_ttl: Duration::from_secs(60),
    }
}

/// Robots over a fresh in-memory store, with the default cache periods.
pub fn robots(token: &str) -> Robots {
    Robots::new(Arc::new(MemoryRobotsStore::new()), robots_config(token))
}

pub fn url(raw: &str) -> Url {
    Url::parse(raw).expect("a valid test URL")
}

/// A robots.txt server in a box: answers per robots URL, counts and records requests, and
/// can be slowed down to make callers overlap.
#[derive(Default)]
pub struct FakeFetcher {
    answers: Mutex<HashMap<String, RobotsResponse>>,
    requested: Mutex<Vec<String>>,
    delay: Option<Duration>,
}

impl FakeFetcher {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn slow(delay: Duration) -> Self {
        FakeFetcher {
            delay: Some(delay),
            ..Self::default()
        }
    }

    /// Serves `body` with `code` at `robots_url`.
    pub fn serve(&self, robots_url: &str, code: u16, body: &str) -> &Self {
        self.answer(
            robots_url,
            RobotsResponse::Status {
                code,
                body: body.as_bytes().to_vec(),
            },
        )
    }

    pub fn answer(&self, robots_url: &str, response: RobotsResponse) -> &Self {
        self.answers
            .lock()
            .unwrap()
            .insert(robots_url.to_string(), response);
        self
    }

    pub fn calls(&self) -> usize {
        self.requested.lock().unwrap().len()
    }

    pub fn requested(&self) -> Vec<String> {
        self.requested.lock().unwrap().clone()
    }
}

#[async_trait]
impl RobotsFetcher for FakeFetcher {
    /// Unknown URLs answer 404, like a site without a robots.txt.
    async fn fetch_robots(&self, url: &Url) -> RobotsResponse {
        self.requested.lock().unwrap().push(url.to_string());
        if let Some(delay) = self.delay {
            tokio::time::sleep(delay).await;
        }
        let answers = self.answers.lock().unwrap();
        answers
            .get(url.as_str())
            .cloned()
            .unwrap_or(RobotsResponse::Status {
                code: 404,
                body: Vec::new(),
            })
    }
}

/// Expands to one `#[tokio::test]` per suite function, each on a fresh gate made by
/// `$make_gate().await` with [`TEST_GATE`] settings. The list lives here, once, so no
/// backend can skip a test. The calling module must have `common` in scope.
macro_rules! gate_suite {
    ($make_gate:path) => {
        gate_suite!(@tests $make_gate;
            concurrency_limit_holds_under_many_acquirers,
            min_interval_spaces_every_grant,
            wait_is_the_time_to_the_next_allowed_start,
            wait_is_short_when_every_slot_is_busy,
            release_frees_a_slot_once,
            backoff_delays_the_next_grant,
            escalating_backoff_doubles_to_its_cap_and_resets,
            expired_leases_are_reclaimed,
            hosts_are_independent,
        );
    };
    (@tests $make_gate:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                common::gate_suite::$name($make_gate().await).await;
            }
        )*
    };
}
