//! The gate conformance suite against Redis, plus what only a shared store shows: two
//! workers (two connections) sharing one host's slots and one cached robots.txt, the
//! Cluster hash tags of a host's keys, expiry of stored answers, and an unreachable Redis.
//!
//! Needs the Redis at `CRAWLER_TEST_REDIS_URL` (default `redis://127.0.0.1:6379/`) and
//! fails, rather than skips, when it is unreachable. Each test uses its own namespace.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crawler_core::Namespace;
use crawler_politeness::redis_store::RedisPoliteness;
use crawler_politeness::{
    connect, Gate, GateSettings, HostGate, PaceRules, Politeness, PolitenessConfig,
    PolitenessError, RobotsResponse,
};
use crawler_state::StateBackend;
use redis::AsyncCommands;

use crate::common::{self, url, FakeFetcher, TEST_GATE};

fn redis_url() -> String {
    std::env::var("CRAWLER_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into())
}

fn unique_namespace() -> String {
    format!("test-{}", uuid::Uuid::new_v4())
}

async fn store_in(namespace: &str, settings: GateSettings) -> RedisPoliteness {
    let url = redis_url();
    RedisPoliteness::connect(&url, namespace, settings)
        .await
        .unwrap_or_else(|err| {
            panic!(
                "Redis at {url} is unreachable ({err}): start it with `scripts/services start` \
                 or point CRAWLER_TEST_REDIS_URL at one"
            )
        })
}

async fn redis_gate() -> Arc<dyn HostGate> {
    Arc::new(store_in(&unique_namespace(), TEST_GATE).await)
}

gate_suite!(redis_gate);

/// A worker's politeness over Redis in `namespace`, on its own connection.
async fn worker(namespace: &str) -> Politeness {
    let url = redis_url();
    Politeness::redis(&url, namespace, PolitenessConfig::default())
        .await
        .unwrap_or_else(|err| panic!("Redis at {url} is unreachable ({err})"))
}

async fn raw_connection() -> redis::aio::MultiplexedConnection {
    let client = redis::Client::open(redis_url()).expect("a valid Redis URL");
    client
        .get_multiplexed_async_connection()
        .await
        .expect("Redis is reachable")
}

#[tokio::test]
async fn two_workers_share_one_hosts_slots_and_schedule() {
    let namespace = unique_namespace();
    let first = store_in(&namespace, TEST_GATE).await;
    let second = store_in(&namespace, TEST_GATE).await;
    let one_at_a_time = PaceRules {
        max_concurrency: 1,
        min_interval: Duration::ZERO,
    };
    let Gate::Granted(lease) = first
        .acquire("http://a.test:80", one_at_a_time)
        .await
        .unwrap()
    else {
        panic!("the first worker gets the slot");
    };
    let gate = second
        .acquire("http://a.test:80", one_at_a_time)
        .await
        .unwrap();
    assert!(
        matches!(gate, Gate::Wait(_)),
        "the second worker waits: {gate:?}"
    );
    first.release(&lease, None).await.unwrap();
    let gate = second
        .acquire("http://a.test:80", one_at_a_time)
        .await
        .unwrap();
    assert!(matches!(gate, Gate::Granted(_)), "then gets it: {gate:?}");
}

#[tokio::test]
async fn a_second_worker_reuses_the_cached_robots_txt() {
    let namespace = unique_namespace();
    let body = "User-agent: crawler\nCrawl-delay: 4\nDisallow: /private\n";
    let first_fetcher = FakeFetcher::new();
    first_fetcher.serve("https://site.test/robots.txt", 200, body);
    let second_fetcher = FakeFetcher::new();

    let first = worker(&namespace).await;
    let second = worker(&namespace).await;
    let private = url("https://site.test/private/a");
    let public = url("https://site.test/public");
    for (politeness, fetcher) in [(&first, &first_fetcher), (&second, &second_fetcher)] {
        let verdict = politeness.check_robots(&private, fetcher).await.unwrap();
        assert!(!verdict.allowed);
        assert_eq!(verdict.crawl_delay, Some(Duration::from_secs(4)));
        assert!(
            politeness
                .check_robots(&public, fetcher)
                .await
                .unwrap()
                .allowed
        );
    }
    assert_eq!(first_fetcher.calls(), 1);
    assert_eq!(
        second_fetcher.calls(),
        0,
        "the second worker read the shared copy"
    );
}

#[tokio::test]
async fn stored_answers_expire_after_their_ttl() {
    let namespace = unique_namespace();
    let politeness = worker(&namespace).await;
    let fetcher = FakeFetcher::new();
    fetcher.serve(
        "http://ok.test/robots.txt",
        200,
        "User-agent: *\nDisallow:\n",
    );
    fetcher.answer("http://down.test/robots.txt", RobotsResponse::Unreachable);
    for page in ["http://ok.test/", "http://down.test/", "http://gone.test/"] {
        politeness.check_robots(&url(page), &fetcher).await.unwrap();
    }
    let ns = Namespace::new(&namespace);
    let mut conn = raw_connection().await;
    let ttl_of = |host: &str| ns.global_key(&format!("host:{{{host}}}:robots"));
    let fetched: i64 = conn.pttl(ttl_of("http://ok.test:80")).await.unwrap();
    let missing: i64 = conn.pttl(ttl_of("http://gone.test:80")).await.unwrap();
    let down: i64 = conn.pttl(ttl_of("http://down.test:80")).await.unwrap();
    let day = 24 * 3600 * 1000;
    assert!(
        fetched > day - 60_000 && fetched <= day,
        "2xx kept {fetched} ms"
    );
    assert!(
        missing > day - 60_000 && missing <= day,
        "404 kept {missing} ms"
    );
    assert!(
        down > 540_000 && down <= 600_000,
        "unreachable kept {down} ms"
    );
}

#[tokio::test]
async fn every_key_of_a_host_shares_its_cluster_hash_tag() {
    let namespace = unique_namespace();
    let politeness = worker(&namespace).await;
    let fetcher = FakeFetcher::new();
    let page = url("https://Site.test:8443/x");
    politeness.check_robots(&page, &fetcher).await.unwrap();
    let mut leases = Vec::new();
    for _ in 0..2 {
        let Gate::Granted(lease) = politeness.acquire(&page, None, None).await.unwrap() else {
            panic!("a fresh host grants");
        };
        leases.push(lease);
    }
    // One lease stays live, so the leases key exists; the 503 writes the pace key.
    politeness
        .release(&leases[0], Some(503), None)
        .await
        .unwrap();

    let mut conn = raw_connection().await;
    let keys: Vec<String> = conn.keys(format!("{namespace}:*")).await.unwrap();
    let tag = "{https://site.test:8443}";
    assert_eq!(keys.len(), 3, "robots, leases and pace keys: {keys:?}");
    assert!(
        keys.iter().all(|key| key.contains(tag)),
        "untagged key among {keys:?}"
    );
}

#[tokio::test]
async fn factory_builds_redis_stores() {
    let backend = StateBackend::redis(redis_url());
    let namespace = unique_namespace();
    let backends = connect(&backend, &namespace, TEST_GATE)
        .await
        .expect("Redis is reachable");
    let politeness = Politeness::new(backends, PolitenessConfig::default());
    let gate = politeness
        .acquire(&url("http://a.test/"), None, None)
        .await
        .unwrap();
    assert!(matches!(gate, Gate::Granted(_)));
    let mut conn = raw_connection().await;
    let keys: Vec<String> = conn.keys(format!("{namespace}:*")).await.unwrap();
    assert!(!keys.is_empty(), "the lease lives in Redis");
}

#[tokio::test]
async fn a_closed_port_is_unavailable_not_a_hang() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let started = Instant::now();
    let result = RedisPoliteness::connect_with_timeout(
        &format!("redis://127.0.0.1:{port}/"),
        "test",
        TEST_GATE,
        Duration::from_millis(500),
    )
    .await;
    let err = result.expect_err("nothing listens on the port");
    assert!(
        matches!(err, PolitenessError::Unavailable(_)),
        "got {err:?}"
    );
    assert!(err.is_transient());
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
}
