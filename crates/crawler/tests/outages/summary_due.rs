//! The summary of a job whose worker died, or whose summary publish failed, right after
//! the close that ended the job. The close marked the summary due; the task it ended was
//! never acknowledged, so its redelivery finds the job ended with its summary still due
//! and sends it. The fault points are armed through `CRAWLER_FAULTS` in one worker only.

use std::collections::BTreeSet;
use std::time::Duration;

use crawler_testkit::cluster::{Cluster, Deployment};
use crawler_testkit::receiver::{Received, Receiver};
use crawler_testkit::site::{SiteGraph, TestSite};
use serde_json::json;

use crate::support::{completed_urls, events_of, pages_by_url, summary_of, wait_summary};

const PAGES: usize = 40;

/// A cluster with no worker yet: the test adds them, each with its own faults. One task
/// at a time, so only the task whose close ended the job is unacknowledged when the
/// worker dies, and the job's end is redelivered exactly once.
async fn start() -> (TestSite, Receiver, Cluster) {
    let site = TestSite::serve(SiteGraph::generated(PAGES)).await;
    let receiver = Receiver::start().await;
    let settings = [("CRAWLER_WORKER_CONCURRENCY", "1".to_string())];
    let cluster = Cluster::start(
        crawler_testkit::binaries!(),
        Deployment::Distributed { workers: 0 },
        &settings,
    )
    .await;
    (site, receiver, cluster)
}

async fn submit(cluster: &Cluster, site: &TestSite, receiver: &Receiver) -> String {
    let answer = cluster
        .submit(json!({
            "start_url": site.url("/"),
            "max_depth": 50,
            "callback": {"type": "webhook", "url": receiver.url()},
        }))
        .await;
    answer["jobId"].as_str().expect("jobId").to_string()
}

fn faults(spec: &str) -> [(&'static str, String); 1] {
    [("CRAWLER_FAULTS", spec.to_string())]
}

/// Exactly one summary, listing the whole site, with every page's event and the cost
/// of every page.
async fn assert_one_complete_summary(receiver: &Receiver, job: &str, site: &TestSite) {
    wait_summary(receiver, job, Duration::from_secs(60)).await;
    // Time for a second copy to arrive, if one was going to.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let received: Vec<Received> = receiver.received();
    assert_eq!(
        events_of(&received, job, "crawl.finished").len(),
        1,
        "summary deliveries"
    );
    let summary = summary_of(&received, job);
    assert_eq!(summary["jobState"], "finished");
    assert_eq!(summary["stopReason"], "exhausted");
    let expected: BTreeSet<String> = std::iter::once(site.url("/"))
        .chain((0..PAGES).map(|i| site.url(&format!("/p/{i}"))))
        .collect();
    assert_eq!(completed_urls(&summary), expected, "completed pages");
    assert_eq!(summary["failed"].as_array().map(Vec::len), Some(0));
    assert_eq!(summary["jobCost"], expected.len());
    let pages = pages_by_url(&received, job);
    assert_eq!(
        pages.keys().cloned().collect::<BTreeSet<_>>(),
        expected,
        "one page event per page"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_that_dies_right_after_the_ending_close_still_gets_the_summary_sent() {
    let _serial = crate::one_at_a_time().await;
    let (site, receiver, mut cluster) = start().await;
    cluster.add_worker_with(&faults("worker.after_close=abort"));
    let job = submit(&cluster, &site, &receiver).await;

    let code = cluster.workers[0].wait_exit(Duration::from_secs(60)).await;
    assert_eq!(code, None, "the armed worker was killed by its abort");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let logs = cluster.workers[0].logs();
    assert!(
        logs.contains("fault point worker.after_close: aborting"),
        "the worker died at the fault point; its log:\n{logs}"
    );
    // The job ended in the store, but no summary was published.
    assert_eq!(cluster.status(&job).await["jobState"], "finished");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(events_of(&receiver.received(), &job, "crawl.finished").is_empty());

    cluster.add_worker();
    assert_one_complete_summary(&receiver, &job, &site).await;
    assert!(cluster.workers[1]
        .logs()
        .contains("sending a summary that was due"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_summary_whose_publish_fails_is_sent_once_it_goes_through() {
    let _serial = crate::one_at_a_time().await;
    let (site, receiver, mut cluster) = start().await;
    cluster.add_worker_with(&faults("worker.publish_summary=error:3"));
    let job = submit(&cluster, &site, &receiver).await;

    assert_one_complete_summary(&receiver, &job, &site).await;
    let logs = cluster.workers[0].logs();
    assert!(
        logs.contains("fault point worker.publish_summary: failing hit 3"),
        "the publish failed three times first; the worker's log:\n{logs}"
    );
    assert!(!logs.contains("failing hit 4"));
}
