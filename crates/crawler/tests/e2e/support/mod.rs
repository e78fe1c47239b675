//! Helpers shared by the end-to-end crawl suites.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use crawler_testkit::receiver::{Received, Receiver};
use serde_json::Value;

/// Deliveries of one job and one event kind, in arrival order.
pub fn events_of<'a>(received: &'a [Received], job: &str, kind: &str) -> Vec<&'a Received> {
    received
        .iter()
        .filter(|r| {
            let body = r.json();
            body["jobId"] == job && body["event"] == kind
        })
        .collect()
}

/// Waits for the job's summary and returns everything received so far.
pub async fn wait_summary(receiver: &Receiver, job: &str, timeout: Duration) -> Vec<Received> {
    receiver
        .wait_until(timeout, "the crawl summary", |received| {
            !events_of(received, job, "crawl.finished").is_empty()
        })
        .await
}

/// The one summary of a job; panics if there is not exactly one distinct summary event.
pub fn summary_of(received: &[Received], job: &str) -> Value {
    let summaries = events_of(received, job, "crawl.finished");
    let ids: BTreeSet<&str> = summaries
        .iter()
        .filter_map(|r| r.header("webhook-id"))
        .collect();
    assert_eq!(
        ids.len(),
        1,
        "expected one summary event, got {}",
        ids.len()
    );
    summaries[0].json()
}

/// Page events by URL, each URL once (a re-sent event has the same webhook-id; two events
/// with different ids for one URL fail the test).
pub fn pages_by_url(received: &[Received], job: &str) -> BTreeMap<String, Value> {
    let mut ids = BTreeSet::new();
    let mut pages = BTreeMap::new();
    for r in events_of(received, job, "crawl.page") {
        let id = r.header("webhook-id").expect("webhook-id").to_string();
        if ids.insert(id) {
            let body = r.json();
            let url = body["url"].as_str().expect("url").to_string();
            assert!(
                pages.insert(url.clone(), body).is_none(),
                "two page events with different ids for {url}"
            );
        }
    }
    pages
}

/// The URLs of the summary's `completed` list; panics if one appears twice.
pub fn completed_urls(summary: &Value) -> BTreeSet<String> {
    let list = summary["completed"].as_array().expect("completed");
    let urls: BTreeSet<String> = list
        .iter()
        .map(|c| c["url"].as_str().expect("url").to_string())
        .collect();
    assert_eq!(urls.len(), list.len(), "a URL is listed twice in completed");
    urls
}

/// Submits a crawl of the whole site (depth 50) whose events go to `receiver`; returns
/// the job id.
pub async fn submit_whole_site(
    cluster: &crawler_testkit::cluster::Cluster,
    site: &crawler_testkit::site::TestSite,
    receiver: &Receiver,
) -> String {
    let answer = cluster
        .submit(serde_json::json!({
            "start_url": site.url("/"),
            "max_depth": 50,
            "callback": {"type": "webhook", "url": receiver.url()},
        }))
        .await;
    answer["jobId"].as_str().expect("jobId").to_string()
}
