//! One behavioural suite, run against both stores. The Redis runs use the server at
//! `CRAWLER_TEST_REDIS_URL` (default the local one) and fail when it is not reachable.

use std::sync::Arc;
use std::time::Duration;

use crawler_core::{EventEnvelope, JobId, StartedEvent, WebhookEvent};

use crate::memory::MemoryDeliveryStore;
use crate::redis::RedisDeliveryStore;
use crate::*;

async fn redis_store() -> Arc<dyn DeliveryStore> {
    let url = std::env::var("CRAWLER_TEST_REDIS_URL")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379/".to_string());
    let namespace = format!("test-{}", uuid::Uuid::new_v4().simple());
    match RedisDeliveryStore::connect(&url, &namespace).await {
        Ok(store) => Arc::new(store),
        Err(e) => panic!("Redis at {url} is required for this test (scripts/services start): {e}"),
    }
}

fn letter(job: JobId, event_id: &str, record_id: &str) -> DeadLetter {
    let event = WebhookEvent::Started(StartedEvent {
        job_id: job,
        start_url: "http://a/".into(),
        meta: serde_json::Value::Null,
    });
    DeadLetter {
        record_id: record_id.into(),
        event_id: event_id.into(),
        job_id: job,
        kind: event.kind(),
        callback_url: "http://hook/".into(),
        reason: DeadReason::Exhausted,
        dead_at_ms: 1,
        envelope: EventEnvelope::new(event),
        attempts: Vec::new(),
    }
}

fn attempt(n: u32) -> Attempt {
    Attempt {
        attempt: n,
        at_ms: 1000 + u64::from(n),
        status_code: Some(500),
        error: Some("http_500".into()),
        duration_ms: 3,
        response_body: Some(format!("answer {n}")),
    }
}

async fn attempts_and_dead_letters(store: Arc<dyn DeliveryStore>) {
    let job = JobId::generate();
    store.record_attempt(job, "e1", &attempt(1)).await.unwrap();
    store.record_attempt(job, "e1", &attempt(2)).await.unwrap();
    assert_eq!(
        store.attempts(job, "e1").await.unwrap(),
        vec![attempt(1), attempt(2)]
    );

    store
        .put_dead_letter(&letter(job, "e1", "r1"))
        .await
        .unwrap();
    let listed = store.dead_letters(job).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].attempts, vec![attempt(1), attempt(2)]);
    assert!(store
        .dead_letters(JobId::generate())
        .await
        .unwrap()
        .is_empty());

    // A newer record of the same event replaced the one read: removal leaves it alone.
    store
        .put_dead_letter(&letter(job, "e1", "r2"))
        .await
        .unwrap();
    assert!(!store.remove_dead_letter(job, "e1", "r1").await.unwrap());
    assert_eq!(store.dead_letters(job).await.unwrap().len(), 1);
    assert!(store.remove_dead_letter(job, "e1", "r2").await.unwrap());
    assert!(store.dead_letters(job).await.unwrap().is_empty());
}

async fn delivered_and_settled(store: Arc<dyn DeliveryStore>) {
    let job = JobId::generate();
    assert!(!store.is_delivered(job, "e").await.unwrap());
    store.mark_delivered(job, "e").await.unwrap();
    assert!(store.is_delivered(job, "e").await.unwrap());
    // A redelivery counts it as not delivered, so it is sent again.
    store.unmark_delivered(job, "e").await.unwrap();
    assert!(!store.is_delivered(job, "e").await.unwrap());

    assert_eq!(store.settled_count(job).await.unwrap(), 0);
    store.mark_settled(job, "p1").await.unwrap();
    store.mark_settled(job, "p1").await.unwrap();
    store.mark_settled(job, "p2").await.unwrap();
    assert_eq!(store.settled_count(job).await.unwrap(), 2);
    store
        .forget_settled(job, &["p1".to_string()])
        .await
        .unwrap();
    assert_eq!(store.settled_count(job).await.unwrap(), 1);
}

fn log_entry(job: JobId, n: u32) -> LogEntry {
    LogEntry {
        sequence: 0,
        delivery_id: format!("msg_{n}"),
        job_id: job,
        event: crawler_core::EventKind::Page,
        url: Some(format!("http://site/{n}")),
        endpoint_url: "http://hook/".into(),
        attempt: attempt(n),
        outcome: LoggedOutcome::Retrying,
        retry_in_ms: Some(1_000),
    }
}

enum Log {
    Job(JobId),
    Endpoint(EndpointKey),
}

/// Reads a whole log two entries a page and returns the delivery ids in order.
async fn read_all(store: &dyn DeliveryStore, log: Log) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor = LogCursor::start(2);
    loop {
        let page = match &log {
            Log::Job(job) => store.job_log(*job, cursor).await.unwrap(),
            Log::Endpoint(key) => store.endpoint_log(key, cursor).await.unwrap(),
        };
        assert!(page.entries.len() <= 2);
        ids.extend(page.entries.iter().map(|e| e.delivery_id.clone()));
        cursor.after = page.next;
        if !page.has_more {
            return ids;
        }
    }
}

async fn delivery_log_pages_per_job_and_per_endpoint(store: Arc<dyn DeliveryStore>) {
    let tenant = Tenant::new(format!("tenant-{}", uuid::Uuid::new_v4()), "live");
    let endpoint = EndpointKey::inline(&tenant, "http://hook/");
    let other_endpoint = EndpointKey::named(&tenant, "other");
    let (job, other_job) = (JobId::generate(), JobId::generate());
    for n in 1..=5 {
        store
            .log_attempt(&endpoint, &log_entry(job, n))
            .await
            .unwrap();
    }
    store
        .log_attempt(&other_endpoint, &log_entry(other_job, 9))
        .await
        .unwrap();

    let by_job = read_all(store.as_ref(), Log::Job(job)).await;
    assert_eq!(by_job, ["msg_1", "msg_2", "msg_3", "msg_4", "msg_5"]);
    let by_endpoint = read_all(store.as_ref(), Log::Endpoint(endpoint.clone())).await;
    assert_eq!(by_endpoint, by_job);

    // Entries keep what was logged, numbered in order; a cursor at the end reads on later.
    let page = store.job_log(job, LogCursor::start(10)).await.unwrap();
    assert_eq!(page.entries[0].attempt, attempt(1));
    assert_eq!(page.entries[0].url.as_deref(), Some("http://site/1"));
    let numbers: Vec<u64> = page.entries.iter().map(|e| e.sequence).collect();
    assert_eq!(numbers, [1, 2, 3, 4, 5]);
    assert_eq!((page.next, page.has_more), (5, false));
    store
        .log_attempt(&endpoint, &log_entry(job, 6))
        .await
        .unwrap();
    let later = store
        .job_log(
            job,
            LogCursor {
                after: page.next,
                limit: 10,
            },
        )
        .await
        .unwrap();
    assert_eq!(later.entries.len(), 1);
    assert_eq!(later.entries[0].delivery_id, "msg_6");

    let elsewhere = store
        .endpoint_log(&other_endpoint, LogCursor::start(10))
        .await
        .unwrap();
    assert_eq!(elsewhere.entries.len(), 1);
    assert_eq!(elsewhere.entries[0].job_id, other_job);
    let nobody = EndpointKey::inline(&Tenant::new("nobody", "live"), "http://hook/");
    let empty = store
        .endpoint_log(&nobody, LogCursor::start(10))
        .await
        .unwrap();
    assert!(empty.entries.is_empty());
    assert_eq!((empty.next, empty.has_more), (0, false));
}

async fn kept_events(store: Arc<dyn DeliveryStore>) {
    let job = JobId::generate();
    let envelope = letter(job, "ignored", "r").envelope;
    assert_eq!(
        store.kept_event(job, &envelope.event_id).await.unwrap(),
        None
    );
    store
        .keep_event(&envelope, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(
        store.kept_event(job, &envelope.event_id).await.unwrap(),
        Some(envelope.clone())
    );
    assert_eq!(
        store
            .kept_event(JobId::generate(), &envelope.event_id)
            .await
            .unwrap(),
        None
    );
}

async fn endpoint_health(store: Arc<dyn DeliveryStore>) {
    let tenant = Tenant::new(format!("p{}", uuid::Uuid::new_v4().simple()), "live");
    let url = EndpointKey::inline(&tenant, "http://hook.test/");
    // The same URL for another tenant is another endpoint, with a health of its own, and
    // so is the same project in another environment.
    let other = EndpointKey::inline(&Tenant::new("someone-else", "live"), "http://hook.test/");
    let other_env = EndpointKey::inline(
        &Tenant::new(tenant.project.clone(), "test"),
        "http://hook.test/",
    );
    assert_eq!(
        store.endpoint_health(&url).await.unwrap(),
        EndpointHealth::default()
    );
    let failed = |n: u32| Attempt {
        attempt: n,
        at_ms: 1_000 + u64::from(n),
        status_code: Some(500),
        error: Some("http_500".into()),
        duration_ms: 3,
        response_body: None,
    };
    let first = store
        .record_endpoint_failure(&url, &failed(1), 3)
        .await
        .unwrap();
    assert_eq!(
        first,
        EndpointHealth {
            consecutive_failures: 1,
            disabled: false,
            disabled_at_ms: None,
            last_attempt: Some(failed(1)),
        }
    );
    let delivered = Attempt {
        status_code: Some(200),
        error: None,
        ..failed(2)
    };
    store
        .record_endpoint_success(&url, &delivered)
        .await
        .unwrap();
    let healthy = store.endpoint_health(&url).await.unwrap();
    assert_eq!(healthy.consecutive_failures, 0);
    assert_eq!(healthy.last_attempt, Some(delivered));
    for n in 3..5 {
        store
            .record_endpoint_failure(&url, &failed(n), 3)
            .await
            .unwrap();
    }
    assert!(!store.endpoint_health(&url).await.unwrap().disabled);
    let disabled = store
        .record_endpoint_failure(&url, &failed(5), 3)
        .await
        .unwrap();
    assert!(disabled.disabled);
    assert!(disabled.disabled_at_ms.is_some_and(|at| at > 0));
    assert_eq!(store.endpoint_health(&url).await.unwrap(), disabled);
    for key in [&other, &other_env] {
        assert_eq!(
            store.endpoint_health(key).await.unwrap(),
            EndpointHealth::default()
        );
    }
    assert!(store.reenable_endpoint(&url).await.unwrap());
    let reenabled = store.endpoint_health(&url).await.unwrap();
    assert_eq!(
        (
            reenabled.consecutive_failures,
            reenabled.disabled,
            reenabled.disabled_at_ms
        ),
        (0, false, None)
    );
    assert_eq!(
        reenabled.last_attempt,
        Some(failed(5)),
        "the log of what happened stays"
    );
    assert!(!store.reenable_endpoint(&url).await.unwrap());
    store.forget_endpoint(&url).await.unwrap();
    assert_eq!(
        store.endpoint_health(&url).await.unwrap(),
        EndpointHealth::default()
    );
}

async fn bodies(store: Arc<dyn DeliveryStore>) {
    let job = JobId::generate();
    let body = StoredBody {
        url: "http://site/a?b=c".into(),
        content_type: Some("text/plain".into()),
        body: Some("x".repeat(10_000)),
        base64_encoded_body: None,
    };
    store
        .put_body(job, &body, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(store.body(job, &body.url).await.unwrap(), Some(body));
    assert_eq!(store.body(job, "http://site/other").await.unwrap(), None);
}

fn endpoint(tenant: &Tenant, name: &str, url: &str) -> endpoints::Endpoint {
    endpoints::Endpoint {
        tenant: tenant.clone(),
        name: Some(name.into()),
        url: url.into(),
        secret: "whsec_c2VjcmV0".into(),
        profile: endpoints::DEFAULT_PROFILE.into(),
        events: vec![crawler_core::EventKind::Page],
        headers: Default::default(),
        payload: Default::default(),
        content_type: Some(crawler_core::ContentType::Msgpack),
        content_encoding: Some(crawler_core::ContentEncoding::Gzip),
        retry_schedule_ms: Some(vec![100, 2_000]),
        timeout_ms: Some(1_500),
        created_at_ms: 7,
    }
}

async fn named_endpoints(store: Arc<dyn endpoints::EndpointStore>) {
    let tenant = Tenant::new(format!("p{}", uuid::Uuid::new_v4().simple()), "live");
    // The same project in another environment is another tenant.
    let other = Tenant::new(tenant.project.clone(), "test");
    let hook = endpoint(&tenant, "hook", "http://a.test/");
    assert!(store.create(&hook).await.unwrap());
    // Names are unique within a tenant, not across tenants.
    assert!(!store
        .create(&endpoint(&tenant, "hook", "http://b.test/"))
        .await
        .unwrap());
    assert!(store
        .create(&endpoint(&other, "hook", "http://b.test/"))
        .await
        .unwrap());
    assert!(store
        .create(&endpoint(&tenant, "another", "http://c.test/"))
        .await
        .unwrap());
    assert_eq!(
        store.get(&tenant, "hook").await.unwrap(),
        Some(hook.clone())
    );
    assert_eq!(store.get(&tenant, "missing").await.unwrap(), None);
    let names: Vec<_> = store
        .list(&tenant)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.name.unwrap())
        .collect();
    assert_eq!(names, ["another", "hook"]);
    let moved = endpoint(&tenant, "hook", "http://moved.test/");
    assert!(store.replace(&moved).await.unwrap());
    assert_eq!(store.get(&tenant, "hook").await.unwrap(), Some(moved));
    assert!(!store
        .replace(&endpoint(&tenant, "nope", "http://x.test/"))
        .await
        .unwrap());
    assert!(store.delete(&tenant, "hook").await.unwrap());
    assert!(!store.delete(&tenant, "hook").await.unwrap());
    assert_eq!(
        store.get(&other, "hook").await.unwrap().unwrap().url,
        "http://b.test/"
    );
    // Health hangs off the tenant's endpoint: the same name elsewhere is another key.
    assert_ne!(hook.key(), endpoint(&other, "hook", "http://a.test/").key());
}

mod endpoint_store {
    use super::*;

    #[tokio::test]
    async fn memory_backend() {
        named_endpoints(Arc::new(endpoints::memory::MemoryEndpointStore::default())).await
    }

    #[tokio::test]
    async fn redis_backend() {
        let url = std::env::var("CRAWLER_TEST_REDIS_URL")
            .unwrap_or_else(|_| "redis://127.0.0.1:6379/".to_string());
        let namespace = format!("test-{}", uuid::Uuid::new_v4().simple());
        let store = endpoints::redis::RedisEndpointStore::connect(&url, &namespace)
            .await
            .unwrap_or_else(|e| {
                panic!("Redis at {url} is required for this test (scripts/services start): {e}")
            });
        named_endpoints(Arc::new(store)).await
    }
}

macro_rules! suite {
    ($($name:ident),*) => {
        mod memory_backend {
            use super::*;
            $(#[tokio::test] async fn $name() { super::$name(Arc::new(MemoryDeliveryStore::new())).await })*
        }
        mod redis_backend {
            use super::*;
            $(#[tokio::test] async fn $name() { super::$name(redis_store().await).await })*
        }
    };
}

suite!(
    attempts_and_dead_letters,
    delivered_and_settled,
    delivery_log_pages_per_job_and_per_endpoint,
    kept_events,
    endpoint_health,
    bodies
);
