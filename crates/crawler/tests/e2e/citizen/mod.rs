//! What the politeness and edge-case suites share: a distributed deployment with two
//! fetcher workers, one crawl run to its summary, and measurements taken at the site
//! (`at_site`).

#![allow(dead_code)]

pub mod at_site;

use std::collections::BTreeMap;
use std::time::Duration;

use crawler_testkit::cluster::{Cluster, Deployment};
use crawler_testkit::process::START_TIMEOUT;
use crawler_testkit::receiver::Receiver;
use serde_json::Value;

use crate::support::{pages_by_url, summary_of, wait_summary};

/// Every test of these suites runs the roles as separate processes, two fetcher workers
/// sharing the work, so that a rule holds across workers rather than within one.
pub const TWO_WORKERS: Deployment = Deployment::Distributed { workers: 2 };

/// How long a crawl may take before the test gives up; the crawls here take seconds.
const CRAWL_TIMEOUT: Duration = Duration::from_secs(60);

/// What a fetcher worker logs once it takes tasks.
const WORKER_CONSUMING: &str = "fetcher worker consuming";

/// A two-worker deployment and the receiver of its webhooks.
pub struct Deployed {
    pub cluster: Cluster,
    pub receiver: Receiver,
}

impl Deployed {
    /// Starts the roles with short retry delays plus `extra` settings (which win).
    pub async fn start(extra: &[(&'static str, &str)]) -> Deployed {
        let mut settings: Vec<(&str, String)> = vec![
            ("CRAWLER_FETCH_RETRY_BACKOFF_MS", "50".into()),
            ("CRAWLER_WEBHOOK_RETRY_SCHEDULE", "100ms,200ms,500ms".into()),
        ];
        settings.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
        let receiver = Receiver::start().await;
        let cluster = Cluster::start(crawler_testkit::binaries!(), TWO_WORKERS, &settings).await;
        // The cluster is up once the coordinator is. A worker still connecting (slower when
        // other suites load the machine) would leave its share of the crawl to the other,
        // and the rules here must hold across both workers.
        for worker in &cluster.workers {
            worker.wait_for_log(WORKER_CONSUMING, START_TIMEOUT).await;
        }
        Deployed { cluster, receiver }
    }

    /// Submits `job` (its callback set to the receiver) and waits for its summary.
    pub async fn crawl(&self, mut job: Value) -> Crawl {
        job["callback"] = serde_json::json!({"type": "webhook", "url": self.receiver.url()});
        let answer = self.cluster.submit(job).await;
        let id = answer["jobId"].as_str().expect("jobId").to_string();
        let received = wait_summary(&self.receiver, &id, CRAWL_TIMEOUT).await;
        Crawl {
            summary: summary_of(&received, &id),
            pages: pages_by_url(&received, &id),
            job: id,
        }
    }
}

/// What the webhooks said about one finished crawl.
pub struct Crawl {
    pub job: String,
    pub summary: Value,
    /// Page events by URL.
    pub pages: BTreeMap<String, Value>,
}

impl Crawl {
    /// The page event of `url`; panics, listing the URLs there are, when there is none.
    pub fn page(&self, url: &str) -> &Value {
        self.pages.get(url).unwrap_or_else(|| {
            panic!(
                "no page event for {url}; events for: {:?}",
                self.pages.keys().collect::<Vec<_>>()
            )
        })
    }

    /// The URLs whose page event says `finished`.
    pub fn finished(&self) -> Vec<&str> {
        self.with_status("finished")
    }

    /// The URLs whose page event says `failed`, with their failReason.
    pub fn failed(&self) -> BTreeMap<&str, &str> {
        self.pages
            .iter()
            .filter(|(_, p)| p["status"] == "failed")
            .map(|(url, p)| (url.as_str(), p["failReason"].as_str().unwrap_or("")))
            .collect()
    }

    /// The failReason of `url`'s page event, asserting that the page failed.
    pub fn fail_reason(&self, url: &str) -> &str {
        let page = self.page(url);
        assert_eq!(page["status"], "failed", "{url} should have failed: {page}");
        page["failReason"].as_str().expect("failReason")
    }

    /// The decoded body `url`'s page event carries, asserting that the page finished.
    pub fn body(&self, url: &str) -> &str {
        let page = self.page(url);
        assert_eq!(
            page["status"], "finished",
            "{url} should have finished: {page}"
        );
        page["response"]["body"].as_str().expect("a text body")
    }

    fn with_status(&self, status: &str) -> Vec<&str> {
        self.pages
            .iter()
            .filter(|(_, p)| p["status"] == status)
            .map(|(url, _)| url.as_str())
            .collect()
    }
}
