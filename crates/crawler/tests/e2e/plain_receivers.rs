//! A receiver as plain as they come (one thread, a listen backlog of 5, one connection at
//! a time) gets every page event of a 500-page crawl, and then the summary: the dispatcher
//! keeps at most `webhook_max_in_flight_per_endpoint` requests in flight to it, retries a
//! refused or reset connection quickly, and holds the summary until every page event is
//! delivered. On both deployments, with the production webhook settings.

use std::collections::BTreeSet;
use std::time::Duration;

use crawler_testkit::cluster::{Cluster, Deployment};
use crawler_testkit::one_thread_receiver::OneThreadReceiver;
use crawler_testkit::site::{SiteGraph, TestSite};
use serde_json::json;

use crate::support::{events_of, summary_of};

const PAGES: usize = 500;

async fn a_one_thread_receiver_gets_every_page_event_before_the_summary(deployment: Deployment) {
    let _machine = crate::beside_others().await;
    let site = TestSite::serve(SiteGraph::generated(PAGES)).await;
    let receiver = OneThreadReceiver::start(5, Duration::from_millis(5));
    let settings = [("CRAWLER_FETCH_RETRY_BACKOFF_MS", "50".to_string())];
    let cluster = Cluster::start(crawler_testkit::binaries!(), deployment, &settings).await;
    let answer = cluster
        .submit(json!({
            "start_url": site.url("/"),
            "max_depth": 20,
            "callback": {"type": "webhook", "url": receiver.url(), "events": ["crawl.page", "crawl.finished"]},
        }))
        .await;
    let job = answer["jobId"].as_str().expect("jobId").to_string();

    let received = receiver
        .wait_until(Duration::from_secs(300), "the crawl summary", |r| {
            !events_of(r, &job, "crawl.finished").is_empty()
        })
        .await;
    let summary = summary_of(&received, &job);
    let completed = summary["completed"].as_array().expect("completed").len();
    assert_eq!(completed, PAGES + 1, "the whole site was crawled");
    let summary_at = received
        .iter()
        .position(|r| r.json()["event"] == "crawl.finished")
        .expect("summary");
    let pages_before: BTreeSet<String> = events_of(&received[..summary_at], &job, "crawl.page")
        .iter()
        .map(|r| r.json()["url"].as_str().expect("url").to_string())
        .collect();
    assert_eq!(
        pages_before.len(),
        PAGES + 1,
        "every page event arrived before the summary"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn distributed_one_thread_receiver_gets_every_page_event_before_the_summary() {
    a_one_thread_receiver_gets_every_page_event_before_the_summary(Deployment::Distributed {
        workers: 2,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_one_thread_receiver_gets_every_page_event_before_the_summary() {
    a_one_thread_receiver_gets_every_page_event_before_the_summary(Deployment::Embedded).await;
}
