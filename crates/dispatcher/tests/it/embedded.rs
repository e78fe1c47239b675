//! The dispatcher over the in-memory backends of the embedded mode: the same `run` as the
//! distributed role, so retries and graceful shutdown behave the same way.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use crawler_config::Settings;
use crawler_core::time::now_ms;
use crawler_core::{
    ApiParams, Callback, EventEnvelope, EventKind, JobId, JobKind, JobRecord, JobSpec, Namespace,
    PageEvent, PayloadMode, QueueMessage, Scope, StartedEvent, WebhookEvent,
};
use crawler_deliveries::endpoints::memory::MemoryEndpointStore;
use crawler_deliveries::endpoints::EndpointStore;
use crawler_deliveries::memory::MemoryDeliveryStore;
use crawler_deliveries::DeliveryStore;
use crawler_dispatcher::DispatcherServices;
use crawler_queue::memory::MemoryQueue;
use crawler_queue::Queue;
use crawler_state::{StateBackend, StateStore};

/// Webhook ids as they arrive, and how many requests to fail before answering 200.
#[derive(Default)]
struct Log {
    ids: Vec<String>,
    fail_first: usize,
    answer_after: Duration,
}

async fn receiver(log: Arc<Mutex<Log>>) -> String {
    let app = Router::new().route(
        "/hook",
        post(move |headers: HeaderMap| {
            let log = log.clone();
            async move {
                let (status, pause) = {
                    let mut log = log.lock().unwrap();
                    let id = headers["webhook-id"].to_str().unwrap().to_string();
                    log.ids.push(id);
                    let failing = log.ids.len() <= log.fail_first;
                    let status = if failing {
                        StatusCode::INTERNAL_SERVER_ERROR
                    } else {
                        StatusCode::OK
                    };
                    (status, log.answer_after)
                };
                tokio::time::sleep(pause).await;
                status
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

struct World {
    settings: Arc<Settings>,
    queue: Arc<dyn Queue>,
    state: Arc<dyn StateStore>,
    deliveries: Arc<dyn DeliveryStore>,
    endpoints: Arc<dyn EndpointStore>,
}

impl World {
    async fn new(schedule: &str) -> World {
        let mut settings = Settings::defaults();
        settings.namespace = "embedded".into();
        settings.allow_private_networks = true;
        settings.webhook_retry_schedule = schedule.into();
        World {
            settings: Arc::new(settings),
            queue: Arc::new(MemoryQueue::new()),
            state: crawler_state::connect(&StateBackend::Memory, "embedded")
                .await
                .unwrap(),
            deliveries: Arc::new(MemoryDeliveryStore::new()),
            endpoints: Arc::new(MemoryEndpointStore::default()),
        }
    }

    fn backends(&self) -> DispatcherServices {
        DispatcherServices {
            queue: self.queue.clone(),
            state: self.state.clone(),
            deliveries: self.deliveries.clone(),
            endpoints: self.endpoints.clone(),
        }
    }

    async fn job(&self, url: &str) -> JobId {
        let job_id = JobId::generate();
        let spec = JobSpec {
            kind: JobKind::Crawl,
            start_url: "http://site.test/".into(),
            urls: Vec::new(),
            url_regexp_include: ".*".into(),
            url_regexp_exclude: None,
            max_depth: None,
            crawl_budget: None,
            api_params: ApiParams::default(),
            callback: Some(Callback {
                url: url.into(),
                events: vec![EventKind::Started, EventKind::Page],
                headers: Default::default(),
                secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into(),
                payload: PayloadMode::Full,
                profile: "standard".into(),
                content_type: None,
                content_encoding: None,
                attempts: None,
            }),
            webhook_name: None,
            tenant: Default::default(),
            meta: serde_json::Value::Null,
            timeout_sec: 600,
            scope: Scope::Host,
            follow_nofollow: false,
            ignore_query_parameters: false,
            max_pages_per_host: None,
            respect_robots_txt: true,
            name: None,
            custom_id: None,
            async_job: None,
        };
        let record = JobRecord {
            job_id,
            owner: "o".into(),
            spec,
            cost_per_page: 1,
            created_at_ms: now_ms(),
            deadline_ms: now_ms() + 600_000,
        };
        self.state.create_job(&record).await.unwrap();
        job_id
    }

    async fn publish(&self, event: WebhookEvent) -> EventEnvelope {
        let envelope = EventEnvelope::new(event);
        let queue = Namespace::new("embedded").events_queue();
        let message = QueueMessage::EventV1(envelope.clone()).encode();
        self.queue.publish(&queue, vec![message]).await.unwrap();
        envelope
    }
}

async fn wait_for(what: &str, check: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !check() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn memory_backends_retry_until_delivered() {
    let world = World::new("50ms,50ms").await;
    let log = Arc::new(Mutex::new(Log {
        fail_first: 2,
        ..Log::default()
    }));
    let job = world.job(&receiver(log.clone()).await).await;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let run = tokio::spawn(crawler_dispatcher::run(
        world.settings.clone(),
        world.backends(),
        async {
            let _ = stopped.await;
        },
    ));

    let page = WebhookEvent::Page(PageEvent {
        job_id: job,
        url: "http://site.test/a".into(),
        final_url: None,
        status: "finished".into(),
        credits: 1,
        attempts: 1,
        start_url: "http://site.test/".into(),
        current_depth: 0,
        current_cost: 1,
        fail_reason: None,
        response: None,
        meta: serde_json::Value::Null,
        async_job: None,
    });
    let sent = world.publish(page).await;
    wait_for("the third attempt", || log.lock().unwrap().ids.len() >= 3).await;
    // A graceful stop lets the third attempt finish recording.
    stop.send(()).unwrap();
    run.await.unwrap().unwrap();

    assert!(log
        .lock()
        .unwrap()
        .ids
        .iter()
        .all(|id| *id == sent.event_id));
    let attempts = world
        .deliveries
        .attempts(job, &sent.event_id)
        .await
        .unwrap();
    let statuses: Vec<Option<u16>> = attempts.iter().map(|a| a.status_code).collect();
    assert_eq!(statuses, [Some(500), Some(500), Some(200)]);
    assert!(world
        .deliveries
        .is_delivered(job, &sent.event_id)
        .await
        .unwrap());
}

#[tokio::test]
async fn shutdown_lets_an_in_flight_delivery_finish_and_ack() {
    let world = World::new("1s").await;
    let log = Arc::new(Mutex::new(Log {
        answer_after: Duration::from_millis(500),
        ..Log::default()
    }));
    let job = world.job(&receiver(log.clone()).await).await;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let run = tokio::spawn(crawler_dispatcher::run(
        world.settings.clone(),
        world.backends(),
        async {
            let _ = stopped.await;
        },
    ));

    let started = world
        .publish(WebhookEvent::Started(StartedEvent {
            job_id: job,
            start_url: "http://site.test/".into(),
            meta: serde_json::Value::Null,
        }))
        .await;
    wait_for("the request", || !log.lock().unwrap().ids.is_empty()).await;
    stop.send(()).unwrap();
    run.await.unwrap().unwrap();

    // The receiver's answer came after the shutdown signal, and still counted.
    assert!(world
        .deliveries
        .is_delivered(job, &started.event_id)
        .await
        .unwrap());
    let queue = Namespace::new("embedded").events_queue();
    let mut consumer = world.queue.consume(&queue, 10).await.unwrap();
    let left = tokio::time::timeout(Duration::from_millis(200), consumer.next()).await;
    assert!(
        left.is_err(),
        "the delivered event was acked, not left in the queue"
    );
}
