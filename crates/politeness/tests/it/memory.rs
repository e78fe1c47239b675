//! The gate conformance suite against the in-memory stores, the factory, and the facade's
//! arithmetic (delays, caps, backoffs) on tokio's paused clock.

use std::sync::Arc;
use std::time::Duration;

use crawler_politeness::memory::MemoryGate;
use crawler_politeness::{
    connect, Gate, HostGate, Lease, Politeness, PolitenessConfig, RobotsCheck,
};
use crawler_state::StateBackend;

use crate::common::{self, url, FakeFetcher, TEST_GATE};

async fn memory_gate() -> Arc<dyn HostGate> {
    Arc::new(MemoryGate::new(TEST_GATE))
}

gate_suite!(memory_gate);

fn config() -> PolitenessConfig {
    PolitenessConfig {
        delay: Duration::from_millis(100),
        crawl_delay_cap: Duration::from_secs(1),
        throttle_backoff: Duration::from_millis(200),
        max_concurrency_per_host: 8,
        ..PolitenessConfig::default()
    }
}

async fn lease(politeness: &Politeness, raw: &str) -> Lease {
    match politeness.acquire(&url(raw), None, None).await.unwrap() {
        Gate::Granted(lease) => lease,
        Gate::Wait(wait) => panic!("expected a grant for {raw}, told to wait {wait:?}"),
    }
}

async fn wait_of(politeness: &Politeness, raw: &str) -> Duration {
    match politeness.acquire(&url(raw), None, None).await.unwrap() {
        Gate::Wait(wait) => wait,
        Gate::Granted(_) => panic!("expected a wait for {raw}"),
    }
}

#[tokio::test(start_paused = true)]
async fn min_interval_is_the_largest_delay_with_crawl_delay_capped() {
    let politeness = Politeness::memory(config());
    let cases = [
        // (host, job delay, crawl delay, expected interval)
        ("http://config.test/", None, None, 100),
        ("http://job.test/", Some(300), None, 300),
        ("http://crawl.test/", Some(300), Some(700), 700),
        ("http://capped.test/", Some(300), Some(60_000), 1000),
        ("http://small.test/", Some(10), Some(20), 100),
    ];
    for (raw, job_delay, crawl_delay, expected) in cases {
        let target = url(raw);
        let gate = politeness
            .acquire(
                &target,
                job_delay.map(Duration::from_millis),
                crawl_delay.map(Duration::from_millis),
            )
            .await
            .unwrap();
        assert!(matches!(gate, Gate::Granted(_)), "first request to {raw}");
        let wait = wait_of(&politeness, raw).await;
        assert_eq!(wait, Duration::from_millis(expected), "{raw}");
    }
}

#[tokio::test(start_paused = true)]
async fn throttled_answers_back_the_host_off() {
    let politeness = Politeness::memory(config());
    let host = "http://busy.test/page";

    // 429 with Retry-After: that long, capped at crawl_delay_cap.
    let first = lease(&politeness, host).await;
    tokio::time::advance(Duration::from_millis(100)).await;
    let retry_after = Some(Duration::from_secs(120));
    politeness
        .release(&first, Some(429), retry_after)
        .await
        .unwrap();
    assert_eq!(wait_of(&politeness, host).await, Duration::from_secs(1));

    // 503 without it: throttle_backoff, doubled per consecutive throttled answer.
    let mut waits = Vec::new();
    for status in [503, 503, 429, 200, 503] {
        tokio::time::sleep(wait_of(&politeness, host).await).await;
        let lease = lease(&politeness, host).await;
        tokio::time::advance(Duration::from_millis(100)).await;
        politeness
            .release(&lease, Some(status), None)
            .await
            .unwrap();
        let wait = match politeness.acquire(&url(host), None, None).await.unwrap() {
            Gate::Wait(wait) => wait,
            Gate::Granted(lease) => {
                politeness.release(&lease, Some(200), None).await.unwrap();
                Duration::ZERO
            }
        };
        waits.push(wait.as_millis());
    }
    // The first 503 is the second throttled answer in a row (after the 429 above).
    assert_eq!(waits, vec![400, 800, 1000, 0, 200]);
}

#[tokio::test(start_paused = true)]
async fn the_robots_txt_request_is_paced_like_any_other() {
    let politeness = Politeness::memory(config());
    let fetcher = FakeFetcher::new();
    fetcher.serve(
        "http://a.test/robots.txt",
        200,
        "User-agent: *\nDisallow: /private\n",
    );
    let private = url("http://a.test/private/1");

    // A page of the host was just fetched: robots.txt waits its turn, unfetched.
    let page = lease(&politeness, "http://a.test/x").await;
    politeness.release(&page, Some(200), None).await.unwrap();
    let check = politeness.check_robots_paced(&private, &fetcher).await;
    assert_eq!(
        check.unwrap(),
        RobotsCheck::Wait(Duration::from_millis(100))
    );
    assert_eq!(fetcher.calls(), 0);

    tokio::time::advance(Duration::from_millis(100)).await;
    let check = politeness.check_robots_paced(&private, &fetcher).await;
    let Ok(RobotsCheck::Verdict(verdict)) = check else {
        panic!("expected a verdict once the host is ready, got {check:?}");
    };
    assert!(!verdict.allowed);
    assert_eq!(fetcher.calls(), 1);
    // The robots.txt request had a start of its own: the next page waits the delay.
    assert_eq!(
        wait_of(&politeness, "http://a.test/y").await,
        Duration::from_millis(100)
    );
    // Once the file is known, checking takes no slot and asks for no wait.
    let check = politeness.check_robots_paced(&private, &fetcher).await;
    assert!(matches!(check, Ok(RobotsCheck::Verdict(_))), "{check:?}");
    assert_eq!(fetcher.calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn other_statuses_do_not_back_off() {
    let politeness = Politeness::memory(config());
    for status in [Some(200), Some(404), Some(500), None] {
        let lease = lease(&politeness, "http://fine.test/").await;
        tokio::time::advance(Duration::from_millis(100)).await;
        let retry_after = Some(Duration::from_secs(1));
        politeness
            .release(&lease, status, retry_after)
            .await
            .unwrap();
    }
    lease(&politeness, "http://fine.test/").await;
}

#[tokio::test(start_paused = true)]
async fn ports_and_schemes_are_different_hosts() {
    let politeness = Politeness::memory(PolitenessConfig {
        max_concurrency_per_host: 1,
        ..config()
    });
    let _held = lease(&politeness, "http://a.test/").await;
    wait_of(&politeness, "http://a.test:80/other").await;
    lease(&politeness, "http://a.test:8080/").await;
    lease(&politeness, "https://a.test/").await;
    let err = politeness
        .acquire(&url("mailto:x@a.test"), None, None)
        .await;
    assert!(err.is_err(), "a URL without a host has no politeness host");
}

#[tokio::test]
async fn factory_builds_memory_stores_that_work_together() {
    let backends = connect(&StateBackend::Memory, "test", TEST_GATE)
        .await
        .unwrap();
    let politeness = Politeness::new(backends, config());
    let fetcher = FakeFetcher::new();
    fetcher.serve(
        "http://a.test/robots.txt",
        200,
        "User-agent: *\nDisallow: /private\n",
    );
    let verdict = politeness
        .check_robots(&url("http://a.test/private/x"), &fetcher)
        .await
        .unwrap();
    assert!(!verdict.allowed);
    assert!(matches!(
        politeness
            .acquire(&url("http://a.test/"), None, None)
            .await
            .unwrap(),
        Gate::Granted(_)
    ));
}
