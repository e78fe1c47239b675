//! The suite against the Redis store, plus what only Redis can get wrong: unreachable
//! servers and the Cluster hash tag of the keys.
//!
//! Needs the Redis at `CRAWLER_TEST_REDIS_URL` (default `redis://127.0.0.1:6379/`) and
//! fails, rather than skips, when it is unreachable. Each test uses its own namespace.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crawler_core::JobId;
use crawler_scheduler::store::redis::RedisStore;
use crawler_scheduler::{connect, Run, RunOutcome, ScheduleBackend, ScheduleError, ScheduleStore};
use redis::AsyncCommands;

use crate::common::{schedule, Stores, T0};

fn redis_url() -> String {
    std::env::var("CRAWLER_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into())
}

fn unique_namespace() -> String {
    format!("test-{}", uuid::Uuid::new_v4())
}

async fn redis_store_in(namespace: &str) -> RedisStore {
    let url = redis_url();
    RedisStore::connect(&url, namespace)
        .await
        .unwrap_or_else(|err| {
            panic!(
                "Redis at {url} is unreachable ({err}): start it with `scripts/services start` \
                 or point CRAWLER_TEST_REDIS_URL at one"
            )
        })
}

/// Two connections to one namespace, as two coordinators would have.
async fn redis_stores() -> Stores {
    let namespace = unique_namespace();
    let a: Arc<dyn ScheduleStore> = Arc::new(redis_store_in(&namespace).await);
    let b: Arc<dyn ScheduleStore> = Arc::new(redis_store_in(&namespace).await);
    Stores { a, b }
}

backend_suite!(redis_stores);

#[tokio::test]
async fn factory_builds_a_ready_redis_store() {
    let backend = ScheduleBackend::Redis { url: redis_url() };
    let store = connect(&backend, &unique_namespace())
        .await
        .unwrap_or_else(|err| {
            panic!("Redis is unreachable ({err}): start it with `scripts/services start`")
        });
    assert!(store.is_ready().await);
    let s = schedule("owner", 60_000, T0);
    store.put(&s).await.unwrap();
    assert_eq!(store.get(s.id).await.unwrap(), Some(s));
}

#[tokio::test]
async fn a_closed_port_is_unavailable_not_a_hang() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let started = Instant::now();
    let result = RedisStore::connect_with_timeout(
        &format!("redis://127.0.0.1:{port}/"),
        "test",
        Duration::from_millis(500),
    )
    .await;
    let err = result.expect_err("nothing listens on the port");
    assert!(matches!(err, ScheduleError::Unavailable(_)), "got {err:?}");
    assert!(err.is_transient());
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn every_key_shares_one_cluster_hash_tag() {
    let namespace = unique_namespace();
    let store = redis_store_in(&namespace).await;
    let s = schedule("owner", 60_000, T0);
    store.put(&s).await.unwrap();
    let run = Run {
        due_at_ms: T0,
        started_at_ms: T0,
        outcome: RunOutcome::Started {
            job_id: JobId::generate(),
        },
    };
    store.record_run(s.id, &run).await.unwrap();
    assert!(store
        .acquire_lease("one", Duration::from_secs(30))
        .await
        .unwrap());

    let client = redis::Client::open(redis_url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = conn.keys(format!("{namespace}:*")).await.unwrap();
    assert_eq!(keys.len(), 5, "record, due, owners, runs, lease: {keys:?}");
    let tag = format!("{{{namespace}:schedules}}");
    for key in &keys {
        // Redis Cluster hashes the first `{...}` of a key.
        let first_tag = key
            .find('{')
            .and_then(|open| key[open..].find('}').map(|close| &key[open..=open + close]));
        assert_eq!(first_tag, Some(tag.as_str()), "key {key}");
    }
}
