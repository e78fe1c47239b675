//! Crawls that live through a RabbitMQ or a Redis restart: every role reconnects, declares
//! its topology again, republishes what was not confirmed and carries on, and the job ends
//! with a complete, correct summary.
//!
//! These tests take the shared test servers down, so they live in the `outages` test binary
//! (Cargo runs test binaries one after another) and run one at a time.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use crawler_testkit::cluster::{Cluster, Deployment};
use crawler_testkit::receiver::Receiver;
use crawler_testkit::site::{SiteGraph, TestSite};
use serde_json::json;

use crate::support::{completed_urls, events_of, pages_by_url, summary_of, wait_summary};

const PAGES: usize = 2000;

fn services_script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/services")
}

/// Runs `scripts/services <action> <seconds>` on a blocking thread.
pub(crate) async fn restart(action: &'static str, seconds: u32) {
    let status = tokio::task::spawn_blocking(move || {
        Command::new("bash")
            .arg(services_script())
            .arg(action)
            .arg(seconds.to_string())
            .status()
    })
    .await
    .expect("restart thread")
    .expect("run scripts/services");
    assert!(status.success(), "scripts/services {action} failed");
}

async fn crawl_through(action: &'static str) {
    let _serial = crate::one_at_a_time().await;
    let site = TestSite::serve_slowly(SiteGraph::generated(PAGES), Duration::from_millis(2)).await;
    let receiver = Receiver::start().await;
    let settings = [
        ("CRAWLER_WORKER_CONCURRENCY", "8".to_string()),
        // Workers and the dispatcher answer /readyz on a port of their own.
        ("CRAWLER_METRICS_ADDR", "127.0.0.1:0".to_string()),
    ];
    let cluster = Cluster::start(
        crawler_testkit::binaries!(),
        Deployment::Distributed { workers: 2 },
        &settings,
    )
    .await;
    let job = cluster
        .submit(json!({
            "start_url": site.url("/"),
            "max_depth": 50,
            "callback": {"type": "webhook", "url": receiver.url()},
        }))
        .await["jobId"]
        .as_str()
        .expect("jobId")
        .to_string();
    // The cluster is up once the coordinator is; the other roles may still be connecting.
    let probes = RoleProbes::of(&cluster).await;
    probes.wait_all_ready(Duration::from_secs(15)).await;
    receiver
        .wait_until(Duration::from_secs(60), "a tenth of the pages", |r| {
            events_of(r, &job, "crawl.page").len() >= PAGES / 10
        })
        .await;
    // Watch readiness while the server is down: every role must say it is not ready.
    let restarting = tokio::spawn(restart(action, 3));
    let mut saw_not_ready = [false; 3];
    while !restarting.is_finished() {
        for (saw, status) in saw_not_ready.iter_mut().zip(probes.statuses().await) {
            *saw |= status == 503;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    restarting.await.expect("restart");
    assert_eq!(
        saw_not_ready, [true; 3],
        "/readyz of coordinator, worker and dispatcher said 503 during the outage"
    );

    let received = wait_summary(&receiver, &job, Duration::from_secs(240)).await;
    let summary = summary_of(&received, &job);
    assert_eq!(summary["jobState"], "finished");
    assert_eq!(summary["stopReason"], "exhausted");
    let expected: std::collections::BTreeSet<String> = std::iter::once(site.url("/"))
        .chain((0..PAGES).map(|i| site.url(&format!("/p/{i}"))))
        .collect();
    assert_eq!(completed_urls(&summary), expected, "completed pages");
    assert_eq!(summary["jobCost"], expected.len());
    assert_eq!(
        pages_by_url(&received, &job).len(),
        expected.len(),
        "one page event per page"
    );
    probes.wait_all_ready(Duration::from_secs(15)).await;
}

/// The `/readyz` of the coordinator, of the first worker and of the dispatcher.
struct RoleProbes {
    urls: [String; 3],
    client: reqwest::Client,
}

impl RoleProbes {
    async fn of(cluster: &Cluster) -> RoleProbes {
        let worker = cluster.workers[0].wait_for_listening().await;
        let dispatcher = cluster.dispatchers[0].wait_for_listening().await;
        RoleProbes {
            urls: [
                format!("{}/readyz", cluster.api),
                format!("http://{worker}/readyz"),
                format!("http://{dispatcher}/readyz"),
            ],
            client: reqwest::Client::new(),
        }
    }

    /// Each role's answer; 0 when it did not answer at all.
    async fn statuses(&self) -> [u16; 3] {
        let mut statuses = [0; 3];
        for (status, url) in statuses.iter_mut().zip(&self.urls) {
            let answer = self
                .client
                .get(url)
                .timeout(Duration::from_secs(5))
                .send()
                .await;
            *status = answer.map(|r| r.status().as_u16()).unwrap_or(0);
        }
        statuses
    }

    /// Every role connects, and reconnects, on its own, so each may lag the others a little.
    async fn wait_all_ready(&self, timeout: Duration) {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let statuses = self.statuses().await;
            if statuses == [200; 3] {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "roles not ready: {statuses:?} (coordinator, worker, dispatcher)"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crawl_survives_a_rabbitmq_restart() {
    crawl_through("restart-rabbitmq").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crawl_survives_a_redis_restart() {
    crawl_through("restart-redis").await;
}
