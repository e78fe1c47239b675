//! A task redelivered after its worker died between two steps, into a branch that decides
//! differently now: the job was cancelled meanwhile, so the redelivery meets a stopping
//! job. What the first delivery recorded must still come out: the links it admitted are
//! queued (or the job never ends), and a page it charged has its page event, with the
//! recorded status, under the event id the first delivery used. The fault points are
//! armed through `CRAWLER_FAULTS` in the first worker only; one task at a time, so the
//! point is reached first by the start URL.

use std::collections::BTreeSet;
use std::time::Duration;

use crawler_testkit::cluster::{Cluster, Deployment};
use crawler_testkit::receiver::{Received, Receiver};
use crawler_testkit::site::{SiteGraph, TestSite};
use serde_json::Value;

use crate::support::{
    completed_urls, events_of, pages_by_url, submit_whole_site, summary_of, wait_summary,
};

const PAGES: usize = 40;

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

/// What changes while no worker runs, between the crash and the redelivery.
enum Meanwhile {
    /// The job is cancelled through the API: the redelivery meets a stopping job.
    Cancel,
    /// The path answers 404 from now on: a fetch of it would fail.
    TakeDown(&'static str),
}

/// Runs a job whose first worker aborts at `point`, cancels the job while no worker
/// runs, and lets a new worker take the redelivered task. Returns the job, what the
/// receiver got and the job's status.
async fn abort_at_then_cancel(point: &str) -> (TestSite, String, Vec<Received>, Value) {
    abort_at_then(point, Meanwhile::Cancel).await
}

/// Like [`abort_at_then_cancel`], with `meanwhile` instead of the cancel.
async fn abort_at_then(
    point: &str,
    meanwhile: Meanwhile,
) -> (TestSite, String, Vec<Received>, Value) {
    let (site, receiver, mut cluster) = start().await;
    cluster.add_worker_with(&[("CRAWLER_FAULTS", format!("{point}=abort"))]);
    let job = submit_whole_site(&cluster, &site, &receiver).await;
    let code = cluster.workers[0].wait_exit(Duration::from_secs(60)).await;
    assert_eq!(code, None, "the armed worker was killed by its abort");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let logs = cluster.workers[0].logs();
    assert!(
        logs.contains(&format!("fault point {point}: aborting")),
        "the worker died at the fault point; its log:\n{logs}"
    );
    match meanwhile {
        Meanwhile::Cancel => {
            cluster.cancel(&job).await;
        }
        Meanwhile::TakeDown(path) => site.take_down(path),
    }

    cluster.add_worker();
    wait_summary(&receiver, &job, Duration::from_secs(60)).await;
    // Time for a second copy of anything to arrive, if one was going to.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let status = cluster.status(&job).await;
    (site, job, receiver.received(), status)
}

/// One summary, and every page accounted for: a page event (one event id per URL) for
/// each completed or failed page and for no other, with the status and cost the summary
/// gives it, and the counts of the status matching the lists.
fn assert_every_page_accounted_for(received: &[Received], job: &str, status: &Value) -> Value {
    let summary = assert_pages_match_summary(received, job, status);
    assert_eq!(summary["jobState"], "cancelled");
    assert_eq!(summary["stopReason"], "cancelled");
    summary
}

/// [`assert_every_page_accounted_for`] without the end state.
fn assert_pages_match_summary(received: &[Received], job: &str, status: &Value) -> Value {
    assert_eq!(
        events_of(received, job, "crawl.finished").len(),
        1,
        "summary deliveries"
    );
    let summary = summary_of(received, job);
    let completed = completed_urls(&summary);
    let failed: BTreeSet<String> = summary["failed"]
        .as_array()
        .expect("failed")
        .iter()
        .map(|f| f["url"].as_str().expect("url").to_string())
        .collect();
    let pages = pages_by_url(received, job);
    for (url, page) in &pages {
        let expected = if completed.contains(url) {
            "finished"
        } else if failed.contains(url) {
            "failed"
        } else {
            panic!("a page event for {url}, which the summary does not list as fetched")
        };
        assert_eq!(page["status"], expected, "the event status of {url}");
    }
    let with_events: BTreeSet<String> = pages.keys().cloned().collect();
    let fetched: BTreeSet<String> = completed.union(&failed).cloned().collect();
    assert_eq!(with_events, fetched, "a page event for every fetched page");

    let listed_cost: u64 = summary["completed"]
        .as_array()
        .expect("completed")
        .iter()
        .map(|c| c["cost"].as_u64().expect("cost"))
        .sum();
    let charged: u64 = pages
        .values()
        .map(|page| page["credits"].as_u64().expect("credits"))
        .sum();
    assert_eq!(
        summary["jobCost"], listed_cost,
        "cost of the completed list"
    );
    assert_eq!(summary["jobCost"], charged, "credits of the page events");
    let cancelled = summary["cancelled"].as_array().expect("cancelled").len();
    assert_eq!(status["pending"], 0);
    assert_eq!(status["completed"], completed.len());
    assert_eq!(status["failed"], failed.len());
    assert_eq!(status["cancelled"], cancelled);
    assert_eq!(status["jobCost"], summary["jobCost"]);
    summary
}

fn cancelled_urls(summary: &Value) -> BTreeSet<String> {
    summary["cancelled"]
        .as_array()
        .expect("cancelled")
        .iter()
        .map(|url| url.as_str().expect("url").to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_admitted_before_a_crash_are_queued_by_a_redelivery_that_meets_a_cancel() {
    let _serial = crate::one_at_a_time().await;
    let (site, job, received, status) = abort_at_then_cancel("worker.after_admit").await;
    let summary = assert_every_page_accounted_for(&received, &job, &status);
    // The start URL admitted its one link and died before publishing it: the
    // redelivery queued it, and both were cancelled, which is what ended the job.
    assert_eq!(
        cancelled_urls(&summary),
        BTreeSet::from([site.url("/"), site.url("/p/0")])
    );
    assert_eq!(summary["jobCost"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_charged_before_a_crash_gets_its_event_from_a_redelivery_that_meets_a_cancel() {
    let _serial = crate::one_at_a_time().await;
    let (site, job, received, status) = abort_at_then_cancel("worker.after_record").await;
    let summary = assert_every_page_accounted_for(&received, &job, &status);
    // The start URL was recorded finished (and charged) before the crash: the summary
    // lists it as completed, and its event, sent by the redelivery, says so.
    assert_eq!(completed_urls(&summary), BTreeSet::from([site.url("/")]));
    let pages = pages_by_url(&received, &job);
    let start = &pages[&site.url("/")];
    assert_eq!(start["status"], "finished");
    assert_eq!(start["credits"], 1);
    assert!(
        start["response"]["body"]
            .as_str()
            .is_some_and(|body| body.contains("/p/0")),
        "the event carries the page as it was fetched: {start}"
    );
    assert_eq!(summary["jobCost"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_whose_event_went_out_before_a_crash_is_not_reported_twice() {
    let _serial = crate::one_at_a_time().await;
    let (site, job, received, status) = abort_at_then_cancel("worker.after_event").await;
    let summary = assert_every_page_accounted_for(&received, &job, &status);
    assert_eq!(completed_urls(&summary), BTreeSet::from([site.url("/")]));
    // The redelivery published the event again under the first one's id, which the
    // dispatcher had delivered already: one delivery.
    let deliveries = events_of(&received, &job, "crawl.page");
    assert_eq!(deliveries.len(), 1, "deliveries of the start URL's event");
    assert_eq!(summary["jobCost"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_charged_before_a_crash_keeps_its_status_when_it_is_gone_on_redelivery() {
    let _serial = crate::one_at_a_time().await;
    // The start URL was fetched and recorded finished; now it answers 404.
    let (site, job, received, status) =
        abort_at_then("worker.after_record", Meanwhile::TakeDown("/")).await;
    let summary = assert_pages_match_summary(&received, &job, &status);
    assert_eq!(summary["jobState"], "finished");
    assert_eq!(summary["stopReason"], "exhausted");
    let expected: BTreeSet<String> = std::iter::once(site.url("/"))
        .chain((0..PAGES).map(|i| site.url(&format!("/p/{i}"))))
        .collect();
    assert_eq!(completed_urls(&summary), expected, "completed pages");
    assert_eq!(summary["jobCost"], expected.len());
    let pages = pages_by_url(&received, &job);
    let start = &pages[&site.url("/")];
    assert_eq!(start["status"], "finished", "the recorded status: {start}");
    assert_eq!(start["response"]["statusCode"], 200);
    // What was recorded is replayed, not fetched again.
    assert_eq!(
        site.hit_counts().get("/"),
        Some(&1),
        "requests for the start URL"
    );
}
