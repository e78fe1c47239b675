//! End-to-end crawls, one suite run against both deployments: the distributed roles as
//! separate processes (coordinator, two fetcher workers, webhook dispatcher) over real
//! RabbitMQ and Redis, and `crawler serve` on its in-memory backends. Each test serves its
//! own site on loopback and receives the webhooks on a loopback receiver.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use crawler_testkit::cluster::{Cluster, Deployment};
use crawler_testkit::receiver::{Behaviour, Receiver};
use crawler_testkit::site::{PageKind, SiteGraph, TestSite};
use serde_json::{json, Value};

use crate::support::{events_of, pages_by_url, wait_summary};

const SIZE_CAP: usize = 50_000;

fn settings() -> Vec<(&'static str, String)> {
    vec![
        ("CRAWLER_FETCH_MAX_BODY_BYTES", SIZE_CAP.to_string()),
        ("CRAWLER_FETCH_RETRY_BACKOFF_MS", "50".into()),
        ("CRAWLER_FETCH_MAX_ATTEMPTS", "3".into()),
        ("CRAWLER_WEBHOOK_RETRY_SCHEDULE", "100ms,200ms,500ms".into()),
    ]
}

/// A site with every shape the crawler must handle: cycles, duplicate links (also differing
/// only by fragment or default port), links to another host, a 404, a 500 that recovers, a
/// redirect, a non-HTML file, a page over the size cap, and a section the regex excludes.
fn tricky_site(other_host: &str) -> SiteGraph {
    SiteGraph::default()
        .page(
            "/",
            PageKind::Html(vec![
                "/a".into(),
                "/b".into(),
                "/a#top".into(),
                "/a".into(),
                format!("{other_host}/elsewhere"),
                "/missing".into(),
                "/flaky".into(),
                "/moved".into(),
                "/file.png".into(),
                "/huge".into(),
                "/private/x".into(),
            ]),
        )
        .page(
            "/a",
            PageKind::Html(vec![
                "/".into(),
                "/b".into(),
                "/a/deep".into(),
                "mailto:x@y.z".into(),
            ]),
        )
        .page(
            "/b",
            PageKind::Html(vec!["/a".into(), "./c".into(), "javascript:void(0)".into()]),
        )
        .page("/c", PageKind::Html(vec!["/c/1".into(), "/b".into()]))
        .page("/c/1", PageKind::Html(vec!["/c/1/2".into()]))
        .page("/c/1/2", PageKind::Html(vec!["/c/1/2/3".into()]))
        .page("/c/1/2/3", PageKind::Html(vec![]))
        .page("/a/deep", PageKind::Html(vec!["/a/deeper".into()]))
        .page("/a/deeper", PageKind::Html(vec![]))
        .page(
            "/flaky",
            PageKind::Flaky {
                failures: 1,
                links: vec!["/from-flaky".into()],
            },
        )
        .page("/from-flaky", PageKind::Html(vec![]))
        .page("/moved", PageKind::Redirect("/landing".into()))
        .page("/landing", PageKind::Html(vec!["/from-landing".into()]))
        .page("/from-landing", PageKind::Html(vec![]))
        .page("/file.png", PageKind::Binary)
        .page("/huge", PageKind::Huge(SIZE_CAP * 4))
        .page("/private/x", PageKind::Html(vec![]))
}

async fn submit(cluster: &Cluster, body: Value) -> String {
    let answer = cluster.submit(body).await;
    answer["jobId"].as_str().expect("jobId").to_string()
}

async fn crawl_matches_breadth_first_search(deployment: Deployment) {
    let _machine = crate::beside_others().await;
    let other =
        TestSite::serve(SiteGraph::default().page("/elsewhere", PageKind::Html(vec![]))).await;
    // `localhost` and `127.0.0.1` are different hosts to the crawler.
    let other_host = format!("http://localhost:{}", other.addr.port());
    let site = TestSite::serve(tricky_site(&other_host)).await;
    let receiver = Receiver::start().await;
    let cluster = Cluster::start(crawler_testkit::binaries!(), deployment, &settings()).await;
    let max_depth = 3;
    let exclude = "/private/";
    let job = submit(&cluster, json!({
        "start_url": site.url("/"),
        "max_depth": max_depth,
        "url_regexp_exclude": exclude,
        "callback": {"type": "webhook", "url": receiver.url(), "events": ["crawl.page", "crawl.finished"]},
        "meta": {"test": "bfs"},
    })).await;

    let received = wait_summary(&receiver, &job, Duration::from_secs(60)).await;
    let expected =
        tricky_site(&other_host).expected(&site.base, max_depth, ".*", Some(exclude), SIZE_CAP);
    let pages = pages_by_url(&received, &job);

    let completed: BTreeMap<String, u32> = pages
        .iter()
        .filter(|(_, p)| p["status"] == "finished")
        .map(|(url, p)| {
            (
                url.clone(),
                p["currentDepth"].as_u64().expect("depth") as u32,
            )
        })
        .collect();
    assert_eq!(
        completed, expected.completed,
        "completed pages and their depths"
    );
    let failed: BTreeMap<String, String> = pages
        .iter()
        .filter(|(_, p)| p["status"] == "failed")
        .map(|(url, p)| {
            (
                url.clone(),
                p["failReason"].as_str().expect("failReason").to_string(),
            )
        })
        .collect();
    assert_eq!(failed, expected.failed, "failed pages and their reasons");
    assert_eq!(pages[&site.url("/moved")]["finalUrl"], site.url("/landing"));
    assert_eq!(pages[&site.url("/")]["meta"]["test"], "bfs");
    assert!(pages[&site.url("/file.png")]["response"]["base64EncodedBody"].is_string());

    // Each URL fetched once; the 500 once more; nothing out of scope or excluded.
    let hits = site.hit_counts();
    for (path, count) in &hits {
        let allowed = if path == "/flaky" { 2 } else { 1 };
        assert_eq!(*count, allowed, "requests for {path}: {hits:?}");
    }
    assert!(!hits.contains_key("/private/x"));
    assert!(
        !hits.contains_key("/c/1/2/3"),
        "a page deeper than max_depth was fetched"
    );
    assert!(other.hits().is_empty(), "another host was crawled");

    // Exactly one summary, after every page event.
    let summaries = events_of(&received, &job, "crawl.finished");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        events_of(&receiver.received(), &job, "crawl.finished").len(),
        1,
        "one summary"
    );
    let summary = summaries[0].json();
    let last_page = events_of(&received, &job, "crawl.page")
        .iter()
        .map(|r| r.at)
        .max()
        .expect("pages");
    assert!(
        summaries[0].at >= last_page,
        "the summary came before a page event"
    );
    assert_eq!(summary["jobState"], "finished");
    assert_eq!(summary["stopReason"], "exhausted");
    assert_eq!(summary["jobCost"], expected.completed.len());
    let summary_completed: BTreeSet<String> = summary["completed"]
        .as_array()
        .expect("completed")
        .iter()
        .map(|c| c["url"].as_str().expect("url").to_string())
        .collect();
    assert_eq!(
        summary_completed,
        expected.completed.keys().cloned().collect()
    );
    assert_eq!(
        summary["failed"].as_array().expect("failed").len(),
        expected.failed.len()
    );

    let status = cluster.status(&job).await;
    assert_eq!(status["jobState"], "finished");
    assert_eq!(status["pending"], 0);
    assert_eq!(status["completed"], expected.completed.len());
}

async fn budgets_are_never_exceeded(deployment: Deployment) {
    let _machine = crate::beside_others().await;
    let site = TestSite::serve(SiteGraph::generated(300)).await;
    let receiver = Receiver::start().await;
    let cluster = Cluster::start(crawler_testkit::binaries!(), deployment, &settings()).await;
    let budgets = [1u64, 7, 40];
    let mut jobs = Vec::new();
    for budget in budgets {
        let job = submit(
            &cluster,
            json!({
                "start_url": site.url("/"),
                "crawl_budget": budget,
                "callback": {"type": "webhook", "url": receiver.url()},
            }),
        )
        .await;
        jobs.push((job, budget));
    }
    for (job, budget) in jobs {
        let received = wait_summary(&receiver, &job, Duration::from_secs(60)).await;
        let summary = events_of(&received, &job, "crawl.finished")[0].json();
        assert_eq!(
            summary["jobCost"], budget,
            "a budget of {budget} is spent exactly"
        );
        assert_eq!(
            summary["completed"].as_array().expect("completed").len() as u64,
            budget
        );
        assert_eq!(summary["stopReason"], "budget");
        assert!(!summary["cancelled"]
            .as_array()
            .expect("cancelled")
            .is_empty());
        let pages = pages_by_url(&received, &job);
        let max_cost = pages
            .values()
            .map(|p| p["currentCost"].as_u64().expect("cost"))
            .max();
        assert_eq!(
            max_cost,
            Some(budget),
            "currentCost never passes the budget"
        );
    }
}

async fn cancel_mid_crawl_reports_cancelled(deployment: Deployment) {
    let _machine = crate::beside_others().await;
    let site = TestSite::serve_slowly(SiteGraph::generated(2000), Duration::from_millis(20)).await;
    let receiver = Receiver::start().await;
    let cluster = Cluster::start(crawler_testkit::binaries!(), deployment, &settings()).await;
    let job = submit(
        &cluster,
        json!({
            "start_url": site.url("/"),
            "max_depth": 20,
            "callback": {"type": "webhook", "url": receiver.url()},
        }),
    )
    .await;
    receiver
        .wait_until(Duration::from_secs(30), "some pages", |r| {
            events_of(r, &job, "crawl.page").len() >= 10
        })
        .await;
    cluster.cancel(&job).await;
    cluster.cancel(&job).await; // idempotent
    let received = wait_summary(&receiver, &job, Duration::from_secs(60)).await;
    let summary = events_of(&received, &job, "crawl.finished")[0].json();
    assert_eq!(summary["jobState"], "cancelled");
    assert_eq!(summary["stopReason"], "cancelled");
    let completed = summary["completed"].as_array().expect("completed").len();
    assert!((10..2000).contains(&completed), "completed {completed}");
    let requests_at_summary = site.hits().len();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        site.hits().len(),
        requests_at_summary,
        "fetching went on after the summary"
    );
    let status = cluster.status(&job).await;
    assert_eq!(status["jobState"], "cancelled");
}

/// A receiver that never answers must not slow the crawl: the job finishes while none of
/// its webhooks has been acknowledged, and the events are delivered once it answers again.
async fn a_hanging_receiver_does_not_slow_the_crawl(deployment: Deployment) {
    let _machine = crate::alone().await;
    let pages = 400;
    let site = TestSite::serve(SiteGraph::generated(pages)).await;
    let mut settings = settings();
    settings.push(("CRAWLER_WEBHOOK_TIMEOUT_MS", "1000".into()));
    // Hundreds of timeouts in a row would otherwise disable the endpoint (tested elsewhere).
    settings.push(("CRAWLER_WEBHOOK_DISABLE_AFTER", "100000".into()));
    let cluster = Cluster::start(crawler_testkit::binaries!(), deployment, &settings).await;
    let job_body = |receiver: &Receiver| {
        json!({
            "start_url": site.url("/"),
            "max_depth": 20,
            "callback": {"type": "webhook", "url": receiver.url()},
        })
    };

    let healthy = Receiver::start().await;
    let started = std::time::Instant::now();
    let job = submit(&cluster, job_body(&healthy)).await;
    wait_finished(&cluster, &job).await;
    let with_healthy_receiver = started.elapsed();

    let hanging = Receiver::start().await;
    hanging.set_behaviour(Behaviour::Hang);
    let started = std::time::Instant::now();
    let job = submit(&cluster, job_body(&hanging)).await;
    let status = wait_finished(&cluster, &job).await;
    let with_hanging_receiver = started.elapsed();
    assert_eq!(
        status["completed"],
        pages + 1,
        "the whole site was crawled: {status}"
    );
    assert!(
        hanging.received().len() < pages / 2,
        "the crawl finished while most webhooks were still waiting ({} sent)",
        hanging.received().len()
    );
    eprintln!(
        "crawl of {} pages: {with_healthy_receiver:?} with a healthy receiver, \
         {with_hanging_receiver:?} with a hanging one",
        pages + 1
    );

    // The events waited; they arrive once the receiver answers again.
    hanging.set_behaviour(Behaviour::Ok);
    let received = wait_summary(&hanging, &job, Duration::from_secs(120)).await;
    let delivered = pages_by_url(&received, &job);
    assert_eq!(
        delivered.len(),
        pages + 1,
        "every page event was delivered after the outage"
    );
}

/// Polls the job's status until it is no longer running.
async fn wait_finished(cluster: &Cluster, job: &str) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        let status = cluster.status(job).await;
        if status["jobState"] != "running" {
            return status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the job did not finish: {status}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

on_both_deployments!(
    crawl_matches_breadth_first_search,
    budgets_are_never_exceeded,
    cancel_mid_crawl_reports_cancelled,
    a_hanging_receiver_does_not_slow_the_crawl,
);
