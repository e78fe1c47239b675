//! End-to-end tests of the coordinator's HTTP API: the real `coordinator` binary, started as
//! a child process against the real RabbitMQ and Redis, each test in its own namespace.

use std::net::SocketAddr;
use std::time::Duration;

use crawler_core::Namespace;
use crawler_testkit::process::RoleProcess;
use crawler_testkit::services;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

// The cases live in api/, one file per concern.
mod access;
mod keys;
mod operations;
mod strict;
mod submit;
mod validation;

const PAID_KEY: &str = "paid-key-e2e";
const OTHER_KEY: &str = "other-key-e2e";
const FREE_KEY: &str = "free-key-e2e";

/// A coordinator process and a client for it.
struct Api {
    _process: RoleProcess,
    base: String,
    namespace: String,
    client: reqwest::Client,
}

async fn start(namespace: &str, allow_private: bool) -> Api {
    start_with(namespace, allow_private, &[]).await
}

/// The environment of a test coordinator, with `extra` settings on top.
fn coordinator_env(
    namespace: &str,
    allow_private: bool,
    extra: &[(&str, String)],
) -> Vec<(String, String)> {
    let mut env = services::role_env(namespace);
    env.extend([
        ("CRAWLER_HTTP_ADDR".to_string(), "127.0.0.1:0".to_string()),
        (
            "CRAWLER_API_KEYS".to_string(),
            format!("{PAID_KEY},{OTHER_KEY}:paid,{FREE_KEY}:free"),
        ),
        (
            "CRAWLER_ALLOW_PRIVATE_NETWORKS".to_string(),
            allow_private.to_string(),
        ),
    ]);
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
    env
}

async fn start_with(namespace: &str, allow_private: bool, extra: &[(&str, String)]) -> Api {
    services::require_services().await;
    let env = coordinator_env(namespace, allow_private, extra);
    let (process, addr): (RoleProcess, SocketAddr) =
        RoleProcess::spawn_listening("coordinator", env!("CARGO_BIN_EXE_coordinator"), &env).await;
    Api {
        _process: process,
        base: format!("http://{addr}"),
        namespace: namespace.to_string(),
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap(),
    }
}

impl Api {
    async fn call(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(key) = key {
            request = request.header("x-api-key", key);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        read(request.send().await.expect("request sent")).await
    }

    async fn submit(&self, key: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, "/v1/crawls", Some(key), Some(body))
            .await
    }

    /// Submits a job that must be accepted and returns its id.
    async fn submit_ok(&self, key: &str, body: Value) -> String {
        let (status, answer) = self.submit(key, body).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        answer["jobId"].as_str().expect("jobId").to_string()
    }

    async fn get(&self, path: &str, key: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(key), None).await
    }

    async fn fetch_queue_depth(&self) -> u64 {
        let queue = services::rabbit_queue().await;
        queue
            .depth(&Namespace::new(self.namespace.clone()).fetch_queue())
            .await
            .expect("fetch queue depth")
    }
}

async fn read(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.expect("body");
    let value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("non-JSON answer ({status}): {e}: {text}"));
    (status, value)
}

fn job(start_url: &str) -> Value {
    json!({"start_url": start_url, "max_depth": 1})
}
