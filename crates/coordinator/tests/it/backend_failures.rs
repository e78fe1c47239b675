//! The coordinator when a backend fails, served in-process over the in-memory job store
//! and a queue that refuses everything (a broker cannot be made to fail on demand).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use crawler_config::Settings;
use crawler_coordinator::{serve, ApiServices, AppState, AuthMode};
use crawler_core::JobState;
use crawler_queue::{Consumer, Queue, QueueError};
use crawler_state::{StateBackend, StateStore};
use serde_json::{json, Value};

/// A broker that is down.
struct DownQueue;

#[async_trait]
impl Queue for DownQueue {
    async fn publish(&self, _: &str, _: Vec<Vec<u8>>) -> Result<(), QueueError> {
        Err(QueueError::Unavailable("connection refused".into()))
    }
    async fn publish_delayed(&self, _: &str, _: Vec<u8>, _: Duration) -> Result<(), QueueError> {
        Err(QueueError::Unavailable("connection refused".into()))
    }
    async fn consume(&self, _: &str, _: u16) -> Result<Box<dyn Consumer>, QueueError> {
        Err(QueueError::Unavailable("connection refused".into()))
    }
    async fn depth(&self, _: &str) -> Result<u64, QueueError> {
        Err(QueueError::Unavailable("connection refused".into()))
    }
    async fn is_ready(&self) -> bool {
        false
    }
}

const OWNER: &str = "local-user";

/// Serves the API in this process with the queue down; open access as [`OWNER`].
async fn start() -> (
    String,
    Arc<dyn StateStore>,
    tokio::sync::oneshot::Sender<()>,
) {
    let mut settings = Settings::defaults();
    settings.allow_private_networks = true;
    let settings = Arc::new(settings);
    let state = crawler_state::connect(&StateBackend::Memory, &settings.namespace)
        .await
        .expect("memory store");
    let backends = ApiServices {
        queue: Arc::new(DownQueue),
        state: Arc::clone(&state),
        deliveries: crawler_deliveries::connect(
            &crawler_deliveries::DeliveryBackend::Memory,
            &settings.namespace,
        )
        .await
        .expect("memory delivery store"),
        endpoints: crawler_deliveries::endpoints::connect(
            &crawler_deliveries::DeliveryBackend::Memory,
            &settings.namespace,
        )
        .await
        .expect("memory endpoint store"),
        schedules: crawler_scheduler::connect(
            &crawler_scheduler::ScheduleBackend::Memory,
            &settings.namespace,
        )
        .await
        .expect("memory schedule store"),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = AppState::new(
        settings,
        backends,
        AuthMode::Open {
            owner: OWNER.into(),
        },
        base.clone(),
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(serve(app, listener, async {
        let _ = stopped.await;
    }));
    (base, state, stop)
}

#[tokio::test]
async fn a_job_whose_seed_cannot_be_queued_answers_503_and_is_ended() {
    let (base, state, _stop) = start().await;
    let response = reqwest::Client::new()
        .post(format!("{base}/v1/crawls"))
        .json(&json!({"start_url": "http://127.0.0.1:9/", "max_depth": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("work queue"), "{body}");
    assert!(
        !message.contains("connection refused"),
        "internals leaked: {body}"
    );

    // The job exists but ended, so nothing waits on a task that was never sent.
    let page = state.list_jobs(OWNER, 0, 10).await.unwrap();
    assert_eq!(page.total, 1);
    let job = &page.jobs[0];
    assert_eq!(
        (job.job_state, job.pending, job.cancelled),
        (JobState::Cancelled, 0, 1),
        "{job:?}"
    );
}

#[tokio::test]
async fn readiness_names_the_backend_that_is_down() {
    let (base, _state, _stop) = start().await;
    let response = reqwest::get(format!("{base}/readyz")).await.unwrap();
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        (body["queue"].as_str(), body["state"].as_str()),
        (Some("down"), Some("up")),
        "{body}"
    );
    assert!(
        body["error"]["message"].as_str().unwrap().contains("queue"),
        "{body}"
    );
    let health = reqwest::get(format!("{base}/healthz")).await.unwrap();
    assert_eq!(
        health.status(),
        200,
        "liveness does not depend on the backends"
    );
}

#[tokio::test]
async fn open_mode_needs_no_key_and_files_jobs_under_its_owner() {
    let (base, state, _stop) = start().await;
    let list: Value = reqwest::get(format!("{base}/v1/crawls"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 0, "{list}");
    // A refused submission (the queue is down) still went through authentication.
    let response = reqwest::Client::new()
        .post(format!("{base}/job"))
        .json(&json!({"start_url": "http://127.0.0.1:9/", "crawl_budget": 5}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(state.list_jobs(OWNER, 0, 10).await.unwrap().total, 1);
}
