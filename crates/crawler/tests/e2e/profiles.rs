//! End-to-end tests of the receiver profiles and body encodings, each on both deployments
//! (the distributed roles over real RabbitMQ and Redis, and `crawler serve`), with real
//! sites and receivers on loopback:
//!
//! - `hasdata`: a receiver written from HasData's webhook documentation;
//! - `webscraper`: a receiver written from WebScraper.io's, its resend timing, the `failed`
//!   rule and `continue`;
//! - `encodings`: gzip and msgpack bodies decoded and their signatures checked, and
//!   refused encoding choices;
//! - `job_data`: the results download in every format, and purging a job.
//!
//! The receivers (`inbox`) know nothing of the dispatcher's types: each test decodes what
//! arrives the way the service's documentation says its receivers should.

mod encodings;
mod hasdata;
mod inbox;
mod job_data;
mod webscraper;

use std::time::Duration;

use crawler_testkit::cluster::{Cluster, API_KEY};
use serde_json::Value;

/// How long a test waits for a crawl's webhooks.
pub const WAIT: Duration = Duration::from_secs(60);

/// Settings every profile test runs with: quick fetch retries, and the profiles' own
/// retry timings at a tenth (WebScraper.io's 10 s timeout becomes 1 s, its 5 s and 10 s
/// resends 500 ms and 1 s).
pub fn settings() -> Vec<(&'static str, String)> {
    vec![
        ("CRAWLER_FETCH_MAX_ATTEMPTS", "1".into()),
        ("CRAWLER_WEBHOOK_PROFILE_TIMING_PERCENT", "10".into()),
    ]
}

pub async fn submit(cluster: &Cluster, body: Value) -> String {
    let answer = cluster.submit(body).await;
    answer["jobId"].as_str().expect("jobId").to_string()
}

/// An authenticated request of an API path, answering the raw response.
pub async fn request(cluster: &Cluster, method: reqwest::Method, path: &str) -> reqwest::Response {
    reqwest::Client::new()
        .request(method, format!("{}{path}", cluster.api))
        .header("x-api-key", API_KEY)
        .send()
        .await
        .expect("API request")
}

/// Polls the job's status until it is no longer running.
pub async fn wait_ended(cluster: &Cluster, job: &str) -> Value {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let status = cluster.status(job).await;
        if status["jobState"] != "running" {
            return status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the job did not end: {status}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
