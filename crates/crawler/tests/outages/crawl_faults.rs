//! Crawls that lose a worker: killed with SIGKILL mid-crawl, or stopped with SIGTERM. The
//! job must still end with a complete, correct summary, every page accounted for once.

use std::time::Duration;

use crawler_testkit::cluster::{Cluster, Deployment};
use crawler_testkit::receiver::Receiver;
use crawler_testkit::site::{SiteGraph, TestSite};

use crate::support::{
    completed_urls, events_of, pages_by_url, submit_whole_site, summary_of, wait_summary,
};

const PAGES: usize = 3000;

async fn start(workers: usize) -> (TestSite, Receiver, Cluster) {
    // A small delay per page keeps the crawl going long enough to interrupt it.
    let site = TestSite::serve_slowly(SiteGraph::generated(PAGES), Duration::from_millis(2)).await;
    let receiver = Receiver::start().await;
    let settings = [("CRAWLER_WORKER_CONCURRENCY", "8".to_string())];
    let cluster = Cluster::start(
        crawler_testkit::binaries!(),
        Deployment::Distributed { workers },
        &settings,
    )
    .await;
    (site, receiver, cluster)
}

/// Asserts the summary lists the whole site as completed, each page once.
fn assert_complete(received: &[crawler_testkit::receiver::Received], job: &str, site: &TestSite) {
    let summary = summary_of(received, job);
    assert_eq!(summary["jobState"], "finished");
    assert_eq!(summary["stopReason"], "exhausted");
    let expected: std::collections::BTreeSet<String> = std::iter::once(site.url("/"))
        .chain((0..PAGES).map(|i| site.url(&format!("/p/{i}"))))
        .collect();
    assert_eq!(completed_urls(&summary), expected, "completed pages");
    assert_eq!(summary["failed"].as_array().map(Vec::len), Some(0));
    assert_eq!(summary["cancelled"].as_array().map(Vec::len), Some(0));
    assert_eq!(summary["jobCost"], expected.len());
    let pages = pages_by_url(received, job);
    assert_eq!(pages.len(), expected.len(), "one page event per page");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_crawl_loses_nothing() {
    let _serial = crate::one_at_a_time().await;
    let (site, receiver, cluster) = start(3).await;
    let job = submit_whole_site(&cluster, &site, &receiver).await;
    receiver
        .wait_until(Duration::from_secs(60), "a tenth of the pages", |r| {
            events_of(r, &job, "crawl.page").len() >= PAGES / 10
        })
        .await;
    cluster.workers[0].kill();
    let received = wait_summary(&receiver, &job, Duration::from_secs(180)).await;
    assert_complete(&received, &job, &site);
    let status = cluster.status(&job).await;
    assert_eq!(status["pending"], 0);
    assert_eq!(status["completed"], PAGES + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_stopped_with_sigterm_hands_its_tasks_back() {
    let _serial = crate::one_at_a_time().await;
    let (site, receiver, cluster) = start(2).await;
    let job = submit_whole_site(&cluster, &site, &receiver).await;
    receiver
        .wait_until(Duration::from_secs(60), "a tenth of the pages", |r| {
            events_of(r, &job, "crawl.page").len() >= PAGES / 10
        })
        .await;
    cluster.workers[0].signal("TERM");
    let code = cluster.workers[0].wait_exit(Duration::from_secs(40)).await;
    assert_eq!(code, Some(0), "a SIGTERM'd worker exits cleanly");
    let received = wait_summary(&receiver, &job, Duration::from_secs(180)).await;
    assert_complete(&received, &job, &site);
}
