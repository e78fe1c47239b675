//! One test's world: a unique namespace on the real RabbitMQ and Redis, jobs in the state
//! store, events published the way fetcher workers publish them, the coordinator's API
//! (the delivery routes among it) served on loopback, and a dispatcher running in-process (or as the real binary).

// Shared by the e2e and outages test binaries, each of which uses only part of it.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use crawler_config::Settings;
use crawler_coordinator::{AppState, AuthMode};
use crawler_core::time::now_ms;
use crawler_core::{
    ApiParams, Callback, CompletedUrl, EventEnvelope, EventKind, JobId, JobKind, JobRecord,
    JobSpec, JobState, Namespace, PageEvent, PageResponse, PayloadMode, QueueMessage, Scope,
    StopReason, SummaryEvent, WebhookEvent,
};
use crawler_deliveries::endpoints::{self as endpoint_store, EndpointStore};
use crawler_deliveries::{self as store, DeliveryBackend, DeliveryStore};
use crawler_dispatcher::DispatcherServices;
use crawler_queue::Queue;
use crawler_state::StateStore;
use crawler_testkit::services;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Who the harness's jobs belong to; its API accepts every request as this owner.
const JOB_OWNER: &str = "test-owner";

pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

pub struct Harness {
    pub namespace: String,
    pub settings: Settings,
    pub queue: Arc<dyn Queue>,
    pub state: Arc<dyn StateStore>,
    pub deliveries: Arc<dyn DeliveryStore>,
    pub endpoints: Arc<dyn EndpointStore>,
    /// The base URL of the delivery API (also the dispatcher's public URL for body links).
    pub api_base: String,
    pub http: reqwest::Client,
    dispatcher: Option<(oneshot::Sender<()>, JoinHandle<()>)>,
}

impl Harness {
    /// Connects to the test services in a fresh namespace and serves the delivery API,
    /// open to every request as the harness's owner in the default tenant. `configure`
    /// adjusts the dispatcher's settings (schedule, limits).
    pub async fn new(configure: impl FnOnce(&mut Settings)) -> Harness {
        let auth = AuthMode::Open {
            owner: JOB_OWNER.into(),
        };
        Harness::build(configure, auth).await
    }

    /// [`Harness::new`] with its API requiring one of `keys` (`key:plan:project:env`
    /// entries), for tests of what each key's tenant sees; call it with [`Harness::call`].
    pub async fn with_keys(keys: &str, configure: impl FnOnce(&mut Settings)) -> Harness {
        let keys = crawler_config::ApiKeys::parse(keys).expect("valid test keys");
        Harness::build(
            |s| {
                s.api_keys = keys;
                configure(s);
            },
            AuthMode::Keys,
        )
        .await
    }

    async fn build(configure: impl FnOnce(&mut Settings), auth: AuthMode) -> Harness {
        services::require_services().await;
        let namespace = services::unique_namespace();
        let queue = services::rabbit_queue().await;
        let state = services::redis_state(&namespace).await;
        let backend = DeliveryBackend::Redis {
            url: services::redis_url(),
        };
        let deliveries = store::connect(&backend, &namespace)
            .await
            .expect("delivery store on the test Redis");
        let endpoints = endpoint_store::connect(&backend, &namespace)
            .await
            .expect("endpoint store on the test Redis");

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let api_base = format!("http://{}", listener.local_addr().unwrap());
        let mut settings = Settings::defaults();
        settings.namespace = namespace.clone();
        settings.amqp_url = services::amqp_url();
        settings.redis_url = services::redis_url();
        settings.allow_private_networks = true;
        settings.public_url = api_base.clone();
        settings.webhook_timeout_ms = 5_000;
        configure(&mut settings);
        // The coordinator's router, open to the owner the harness files its jobs under.
        let app = AppState::new(
            Arc::new(settings.clone()),
            crawler_coordinator::ApiServices {
                queue: queue.clone(),
                state: state.clone(),
                deliveries: deliveries.clone(),
                endpoints: endpoints.clone(),
                schedules: crawler_scheduler::connect(
                    &crawler_scheduler::ScheduleBackend::Memory,
                    &namespace,
                )
                .await
                .expect("memory schedule store"),
            },
            auth,
            api_base.clone(),
        );
        let router = crawler_coordinator::router(app);
        tokio::spawn(async move { axum::serve(listener, router).await });
        Harness {
            namespace,
            settings,
            queue,
            state,
            deliveries,
            endpoints,
            api_base,
            http: reqwest::Client::new(),
            dispatcher: None,
        }
    }

    /// The key the health of an inline callback at `url` of the harness's jobs (in the
    /// default tenant) is kept under.
    pub fn inline_endpoint(&self, url: &str) -> crawler_deliveries::EndpointKey {
        crawler_deliveries::EndpointKey::inline(&crawler_deliveries::Tenant::default(), url)
    }

    /// Runs a dispatcher in this process until the harness is dropped.
    pub fn start_dispatcher(&mut self) {
        let (stop, stopped) = oneshot::channel::<()>();
        let backends = DispatcherServices {
            queue: self.queue.clone(),
            state: self.state.clone(),
            deliveries: self.deliveries.clone(),
            endpoints: self.endpoints.clone(),
        };
        let settings = Arc::new(self.settings.clone());
        let task = tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            crawler_dispatcher::run(settings, backends, shutdown)
                .await
                .expect("dispatcher runs");
        });
        self.dispatcher = Some((stop, task));
    }

    /// The environment the `webhook-dispatcher` binary needs for this harness.
    pub fn role_env(&self) -> Vec<(String, String)> {
        let mut env = services::role_env(&self.namespace);
        env.extend([
            ("CRAWLER_ALLOW_PRIVATE_NETWORKS".into(), "true".into()),
            ("CRAWLER_PUBLIC_URL".into(), self.api_base.clone()),
            (
                "CRAWLER_WEBHOOK_RETRY_SCHEDULE".into(),
                self.settings.webhook_retry_schedule.clone(),
            ),
        ]);
        env
    }

    /// Creates a job whose webhook is `callback`.
    pub async fn create_job(&self, callback: Callback) -> JobId {
        self.create_job_for(JOB_OWNER, callback).await
    }

    /// Creates a job of `owner` (the harness's API serves only [`JOB_OWNER`]).
    pub async fn create_job_for(&self, owner: &str, callback: Callback) -> JobId {
        let job_id = JobId::generate();
        let record = JobRecord {
            job_id,
            owner: owner.into(),
            spec: JobSpec {
                kind: JobKind::Crawl,
                start_url: "http://site.test/".into(),
                urls: Vec::new(),
                url_regexp_include: ".*".into(),
                url_regexp_exclude: None,
                max_depth: Some(2),
                crawl_budget: None,
                api_params: ApiParams::default(),
                callback: Some(callback),
                webhook_name: None,
                tenant: Default::default(),
                meta: serde_json::json!({"test": true}),
                timeout_sec: 600,
                scope: Scope::Host,
                follow_nofollow: false,
                ignore_query_parameters: false,
                max_pages_per_host: None,
                respect_robots_txt: true,
                name: None,
                custom_id: None,
                async_job: None,
            },
            cost_per_page: 1,
            created_at_ms: now_ms(),
            deadline_ms: now_ms() + 600_000,
        };
        self.state.create_job(&record).await.expect("job created");
        job_id
    }

    /// Publishes events to the events queue, as fetcher workers do.
    pub async fn publish(&self, events: Vec<WebhookEvent>) -> Vec<EventEnvelope> {
        let envelopes: Vec<EventEnvelope> = events.into_iter().map(EventEnvelope::new).collect();
        let messages = envelopes
            .iter()
            .map(|e| QueueMessage::EventV1(e.clone()).encode())
            .collect();
        self.queue
            .publish(&Namespace::new(&self.namespace).events_queue(), messages)
            .await
            .expect("events published");
        envelopes
    }

    /// The tenant the harness's API serves.
    pub fn tenant(&self) -> crawler_deliveries::Tenant {
        crawler_deliveries::Tenant::default()
    }

    /// The status and JSON answer of a request without a key (the harness's open API),
    /// whatever the status.
    pub async fn call_open(
        &self,
        method: reqwest::Method,
        path: &str,
    ) -> (reqwest::StatusCode, serde_json::Value) {
        let response = self
            .http
            .request(method, format!("{}{path}", self.api_base))
            .send()
            .await
            .expect("API answers");
        let status = response.status();
        (status, response.json().await.unwrap_or_default())
    }

    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        let response = self
            .http
            .get(format!("{}{path}", self.api_base))
            .send()
            .await
            .expect("API answers");
        assert!(
            response.status().is_success(),
            "GET {path}: {}",
            response.status()
        );
        response.json().await.expect("JSON answer")
    }

    pub async fn post_json(&self, path: &str, body: serde_json::Value) -> serde_json::Value {
        let response = self
            .http
            .post(format!("{}{path}", self.api_base))
            .json(&body)
            .send()
            .await
            .expect("API answers");
        assert!(
            response.status().is_success(),
            "POST {path}: {}",
            response.status()
        );
        response.json().await.expect("JSON answer")
    }
}

impl Harness {
    /// A request to the API as `key`: the status and the JSON answer (`null` when none).
    pub async fn call(
        &self,
        key: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.api_base))
            .header("x-api-key", key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("API answers");
        let status = response.status().as_u16();
        (
            status,
            response.json().await.unwrap_or(serde_json::Value::Null),
        )
    }

    /// Submits a job as `key` whose events go to `webhook_name`, and returns its id.
    pub async fn submit_named(&self, key: &str, webhook_name: &str) -> JobId {
        // Nothing fetches in this harness: the seed task waits in the queue unread.
        let body = serde_json::json!({
            "start_url": "http://127.0.0.1:9/",
            "max_depth": 0,
            "webhook_name": webhook_name,
        });
        let (status, answer) = self
            .call(key, reqwest::Method::POST, "/v1/crawls", Some(body))
            .await;
        assert_eq!(status, 201, "job refused: {answer}");
        answer["jobId"]
            .as_str()
            .and_then(|id| id.parse().ok())
            .expect("a job id")
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        if let Some((stop, task)) = self.dispatcher.take() {
            let _ = stop.send(());
            task.abort();
        }
    }
}

pub fn callback(url: &str, events: &[EventKind]) -> Callback {
    Callback {
        url: url.to_string(),
        events: events.to_vec(),
        headers: BTreeMap::new(),
        secret: SECRET.to_string(),
        payload: PayloadMode::Full,
        profile: "standard".into(),
        content_type: None,
        content_encoding: None,
        attempts: None,
    }
}

pub fn page(job: JobId, path: &str, body: &str) -> WebhookEvent {
    WebhookEvent::Page(PageEvent {
        job_id: job,
        url: format!("http://site.test{path}"),
        final_url: None,
        status: "finished".into(),
        credits: 1,
        attempts: 1,
        start_url: "http://site.test/".into(),
        current_depth: 1,
        current_cost: 1,
        fail_reason: None,
        response: Some(PageResponse {
            status_code: 200,
            headers: [("content-type".to_string(), "text/html".to_string())].into(),
            body: Some(body.to_string()),
            body_size: body.len() as u64,
            ..Default::default()
        }),
        meta: serde_json::json!({"test": true}),
        async_job: None,
    })
}

/// The summary of a job whose completed pages are `paths`.
pub fn summary(job: JobId, paths: &[&str]) -> WebhookEvent {
    WebhookEvent::Summary(SummaryEvent {
        job_id: job,
        job_state: JobState::Finished,
        job_cost: paths.len() as u64,
        completed: paths
            .iter()
            .map(|p| CompletedUrl {
                url: format!("http://site.test{p}"),
                cost: 1,
            })
            .collect(),
        cancelled: Vec::new(),
        failed: Vec::new(),
        crawl_budget: None,
        stop_reason: StopReason::Exhausted,
        start_url: "http://site.test/".into(),
        meta: serde_json::json!({"test": true}),
        finished_at: Some(now_ms()),
        round: 0,
        name: None,
        custom_id: None,
    })
}

pub const WAIT: Duration = Duration::from_secs(15);
