//! The conformance suite against the Redis store, plus what only Redis can get wrong:
//! unreachable or silent servers and the Cluster hash tags of a job's keys.
//!
//! Needs the Redis at `CRAWLER_TEST_REDIS_URL` (default `redis://127.0.0.1:6379/`) and
//! fails, rather than skips, when it is unreachable. Each test uses its own namespace.

use crate::common;

use crawler_state::{JobLifecycle, JobReads};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crawler_core::{JobId, Namespace};
use crawler_state::redis_store::RedisStore;
use crawler_state::{connect, PageOutcome, StateBackend, StateError, StateStore};
use redis::AsyncCommands;

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

async fn redis_store() -> Arc<dyn StateStore> {
    Arc::new(redis_store_in(&unique_namespace()).await)
}

conformance_suite!(redis_store);

#[tokio::test]
async fn factory_builds_a_ready_redis_store() {
    let backend = StateBackend::redis(redis_url());
    let store = connect(&backend, &unique_namespace())
        .await
        .expect("Redis is reachable");
    assert!(store.is_ready().await);
    let job = common::record("owner", None, 1, 1);
    store.create_job(&job).await.unwrap();
    assert_eq!(store.job(job.job_id).await.unwrap(), Some(job));
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
    assert!(matches!(err, StateError::Unavailable(_)), "got {err:?}");
    assert!(err.is_transient());
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_silent_server_fails_fast_as_unavailable() {
    // Accepts connections and never answers, like a Redis wedged by a long script.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let started = Instant::now();
    let url = format!("redis://127.0.0.1:{port}/");
    let result =
        match RedisStore::connect_with_timeout(&url, "test", Duration::from_millis(300)).await {
            Err(err) => Err(err),
            Ok(store) => store.control(JobId::generate()).await.map(drop),
        };
    let err = result.expect_err("a silent server cannot answer");
    assert!(matches!(err, StateError::Unavailable(_)), "got {err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn every_key_of_a_job_shares_its_cluster_hash_tag() {
    let namespace = unique_namespace();
    let store = redis_store_in(&namespace).await;
    let job = common::record("owner", Some(2), 1, 1);
    store.create_job(&job).await.unwrap();
    let links = common::tasks(&job, &[common::url("a"), common::url("b")]);
    store
        .admit(job.job_id, common::START, &links)
        .await
        .unwrap();
    store
        .claim_redirect(job.job_id, &common::url("a"), &common::url("c"))
        .await
        .unwrap();
    store
        .record_outcome(job.job_id, common::START, &PageOutcome::Finished)
        .await
        .unwrap();
    store
        .close_task(job.job_id, common::START, 0)
        .await
        .unwrap();
    store.started_sent(job.job_id).await.unwrap();

    let client = redis::Client::open(redis_url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = conn.keys(format!("{namespace}:*")).await.unwrap();
    let owner_index = Namespace::new(&namespace).global_key("owner:owner:jobs");
    let tag = format!("{{{}}}", job.job_id);
    let job_keys: Vec<&String> = keys.iter().filter(|key| **key != owner_index).collect();
    assert!(
        job_keys.len() >= 8,
        "expected the job's keys, found {keys:?}"
    );
    assert!(
        job_keys.iter().all(|key| key.contains(&tag)),
        "untagged key among {keys:?}"
    );
    assert!(keys.contains(&owner_index));
}

#[tokio::test]
async fn an_ended_jobs_keys_expire_after_the_retention_time() {
    let namespace = unique_namespace();
    let store = redis_store_in(&namespace)
        .await
        .with_retention(Duration::from_secs(60));
    let job = common::record("owner", None, 1, 1);
    let id = job.job_id;
    store.create_job(&job).await.unwrap();
    let links = common::tasks(&job, &[common::url("a")]);
    store.admit(id, common::START, &links).await.unwrap();
    store
        .claim_host_slot(id, "example.com", &common::url("a"), 5)
        .await
        .unwrap();
    store
        .record_outcome(id, common::START, &PageOutcome::Finished)
        .await
        .unwrap();
    store.close_task(id, common::START, 0).await.unwrap();

    let client = redis::Client::open(redis_url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let ttls = |conn: &mut redis::aio::MultiplexedConnection| {
        let mut conn = conn.clone();
        let pattern = format!("{namespace}:job:*");
        async move {
            let keys: Vec<String> = conn.keys(pattern).await.unwrap();
            let mut ttls = Vec::new();
            for key in keys {
                let ttl: i64 = conn.ttl(&key).await.unwrap();
                ttls.push((key, ttl));
            }
            ttls
        }
    };
    let running = ttls(&mut conn).await;
    assert!(!running.is_empty());
    assert!(
        running.iter().all(|(_, ttl)| *ttl == -1),
        "a running job's keys never expire: {running:?}"
    );

    store
        .record_outcome(id, &common::url("a"), &PageOutcome::Finished)
        .await
        .unwrap();
    assert!(
        store.close_task(id, &common::url("a"), 1).await.unwrap(),
        "the job ended"
    );
    let ended = ttls(&mut conn).await;
    assert!(!ended.is_empty());
    for (key, ttl) in &ended {
        assert!((1..=60).contains(ttl), "{key} has TTL {ttl}");
    }
}
