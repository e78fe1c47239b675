//! A whole deployment for an end-to-end test, reachable through its HTTP API:
//! - `Distributed`: a coordinator, N fetcher workers and a webhook dispatcher as separate
//!   processes over the test RabbitMQ and Redis, in a namespace of their own;
//! - `Embedded`: one `crawler serve` process on its in-memory backends.
//!
//! The same test body runs against both, so the embedded mode cannot drift from the
//! distributed one.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use crate::process::RoleProcess;
use crate::services;

/// Paths of the binaries under test; build it with [`binaries!`](crate::binaries) from a
/// test of the `crawler` package, where Cargo tells where it built them.
#[derive(Debug, Clone)]
pub struct Binaries {
    pub coordinator: PathBuf,
    pub fetcher_worker: PathBuf,
    pub webhook_dispatcher: PathBuf,
    pub scheduler: PathBuf,
    pub crawler: PathBuf,
}

/// The binaries Cargo built for this test.
#[macro_export]
macro_rules! binaries {
    () => {
        $crate::cluster::Binaries {
            coordinator: env!("CARGO_BIN_EXE_coordinator").into(),
            fetcher_worker: env!("CARGO_BIN_EXE_fetcher-worker").into(),
            webhook_dispatcher: env!("CARGO_BIN_EXE_webhook-dispatcher").into(),
            scheduler: env!("CARGO_BIN_EXE_scheduler").into(),
            crawler: env!("CARGO_BIN_EXE_crawler").into(),
        }
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deployment {
    Distributed { workers: usize },
    Embedded,
}

pub const API_KEY: &str = "test-key";

pub struct Cluster {
    pub deployment: Deployment,
    pub namespace: String,
    pub api: String,
    binaries: Binaries,
    env: Vec<(String, String)>,
    pub coordinator: RoleProcess,
    pub workers: Vec<RoleProcess>,
    pub dispatchers: Vec<RoleProcess>,
    pub schedulers: Vec<RoleProcess>,
    client: reqwest::Client,
}

impl Cluster {
    /// Starts the deployment with these extra `CRAWLER_*` settings.
    pub async fn start(
        binaries: Binaries,
        deployment: Deployment,
        settings: &[(&str, String)],
    ) -> Cluster {
        let namespace = services::unique_namespace();
        let mut env: Vec<(String, String)> = vec![
            ("CRAWLER_API_KEYS".into(), API_KEY.into()),
            ("CRAWLER_ALLOW_PRIVATE_NETWORKS".into(), "true".into()),
            ("CRAWLER_HTTP_ADDR".into(), "127.0.0.1:0".into()),
            ("CRAWLER_NAMESPACE".into(), namespace.clone()),
        ];
        if let Deployment::Distributed { .. } = deployment {
            services::require_services().await;
            env.extend(services::role_env(&namespace));
        }
        // Last, so that a test's own settings win (its own broker URL, say).
        env.extend(settings.iter().map(|(k, v)| (k.to_string(), v.clone())));
        let (coordinator, workers, dispatchers) = match deployment {
            Deployment::Distributed { workers } => {
                let coordinator = RoleProcess::spawn("coordinator", &binaries.coordinator, &env);
                let workers = (0..workers)
                    .map(|n| {
                        RoleProcess::spawn(&format!("worker-{n}"), &binaries.fetcher_worker, &env)
                    })
                    .collect();
                let dispatchers = vec![RoleProcess::spawn(
                    "dispatcher",
                    &binaries.webhook_dispatcher,
                    &env,
                )];
                (coordinator, workers, dispatchers)
            }
            Deployment::Embedded => {
                let serve = RoleProcess::spawn_with_args(
                    "crawler-serve",
                    &binaries.crawler,
                    &["serve", "--addr", "127.0.0.1:0"],
                    &env,
                );
                (serve, Vec::new(), Vec::new())
            }
        };
        let addr = coordinator.wait_for_listening().await;
        let cluster = Cluster {
            deployment,
            namespace,
            api: format!("http://{addr}"),
            binaries,
            env,
            coordinator,
            workers,
            dispatchers,
            schedulers: Vec::new(),
            // Tests may give the roles a proxy in their environment; the API is on loopback.
            client: reqwest::Client::builder()
                .no_proxy()
                .build()
                .expect("an HTTP client"),
        };
        cluster.wait_ready().await;
        cluster
    }

    async fn wait_ready(&self) {
        for _ in 0..200 {
            if let Ok(r) = self.client.get(format!("{}/readyz", self.api)).send().await {
                if r.status().is_success() {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "the deployment never became ready; coordinator log:\n{}",
            self.coordinator.logs()
        );
    }

    /// Starts one more fetcher worker (distributed only).
    pub fn add_worker(&mut self) {
        self.add_worker_with(&[]);
    }

    /// Starts one more fetcher worker with these settings on top of the cluster's, e.g.
    /// `CRAWLER_FAULTS` for this worker alone (distributed only).
    pub fn add_worker_with(&mut self, settings: &[(&str, String)]) {
        let n = self.workers.len();
        let mut env = self.env.clone();
        env.extend(settings.iter().map(|(k, v)| (k.to_string(), v.clone())));
        let worker =
            RoleProcess::spawn(&format!("worker-{n}"), &self.binaries.fetcher_worker, &env);
        self.workers.push(worker);
    }

    /// Starts one more dispatcher (distributed only).
    pub fn add_dispatcher(&mut self) {
        let n = self.dispatchers.len();
        let dispatcher = RoleProcess::spawn(
            &format!("dispatcher-{n}"),
            &self.binaries.webhook_dispatcher,
            &self.env,
        );
        self.dispatchers.push(dispatcher);
    }

    /// Starts a `scheduler` role beside the coordinator (distributed only).
    pub fn add_scheduler(&mut self) {
        let n = self.schedulers.len();
        let scheduler = RoleProcess::spawn(
            &format!("scheduler-{n}"),
            &self.binaries.scheduler,
            &self.env,
        );
        self.schedulers.push(scheduler);
    }

    /// POSTs a job and returns the 201 answer; panics with the answer otherwise.
    pub async fn submit(&self, body: Value) -> Value {
        let response = self
            .client
            .post(format!("{}/v1/crawls", self.api))
            .header("x-api-key", API_KEY)
            .json(&body)
            .send()
            .await
            .expect("submit request");
        let status = response.status();
        let answer: Value = response.json().await.expect("submit answer is JSON");
        assert_eq!(status.as_u16(), 201, "job refused: {answer}");
        answer
    }

    pub async fn status(&self, job: &str) -> Value {
        self.client
            .get(format!("{}/v1/crawls/{job}", self.api))
            .header("x-api-key", API_KEY)
            .send()
            .await
            .expect("status request")
            .json()
            .await
            .expect("status is JSON")
    }

    pub async fn cancel(&self, job: &str) -> Value {
        let response = self
            .client
            .delete(format!("{}/v1/crawls/{job}", self.api))
            .header("x-api-key", API_KEY)
            .send()
            .await
            .expect("cancel request");
        assert!(
            response.status().is_success(),
            "cancel refused: {}",
            response.status()
        );
        response.json().await.expect("cancel answer is JSON")
    }

    /// An authenticated GET of an API path, returning status and JSON.
    pub async fn get(&self, path: &str) -> (u16, Value) {
        let response = self
            .client
            .get(format!("{}{path}", self.api))
            .header("x-api-key", API_KEY)
            .send()
            .await
            .expect("GET request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// An authenticated POST of an API path, returning status and JSON.
    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let response = self
            .client
            .post(format!("{}{path}", self.api))
            .header("x-api-key", API_KEY)
            .json(&body)
            .send()
            .await
            .expect("POST request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// An authenticated PATCH of an API path, returning status and JSON.
    pub async fn patch(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::PATCH, path, Some(body)).await
    }

    /// An authenticated DELETE of an API path, returning status and JSON (`null` when the
    /// answer has no body).
    pub async fn delete(&self, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::DELETE, path, None).await
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.api))
            .header("x-api-key", API_KEY);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("API request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}
