//! The `webscraper` profile against a receiver written from WebScraper.io's webhook
//! documentation (<https://webscraper.io/documentation/webhooks>, read 2026-12):
//!
//! - "Web Scraper will execute a POST FORM submit with scraping job metadata" once the job
//!   "has been finished, stopped or failed": `scrapingjob_id`, `status`, `sitemap_id`,
//!   `sitemap_name`, `custom_id`;
//! - the server "has to respond with 2xx HTTP status code within 10 seconds. In case of an
//!   error code or a timeout the notification will be resent after a 5 second delay for
//!   the first retry and 10 second delay for the second retry" (here at a tenth);
//! - "A fresh webhook notification for the same scraping job can be sent when data
//!   extraction from empty and failed urls has been rescheduled" (Continue).

use std::collections::BTreeMap;
use std::time::Duration;

use crawler_testkit::cluster::{Cluster, Deployment};
use crawler_testkit::site::{PageKind, SiteGraph, TestSite};
use serde::Deserialize;
use serde_json::{json, Value};

use super::inbox::{Answer, Inbox, Request};
use super::{request, settings, submit, wait_ended, WAIT};

/// The notification's form fields, as the documentation lists them.
#[derive(Debug, Deserialize, PartialEq)]
struct Notification {
    scrapingjob_id: String,
    status: String,
    sitemap_id: String,
    sitemap_name: String,
    custom_id: String,
}

fn notification(request: &Request) -> Notification {
    assert_eq!(
        request.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    serde_urlencoded::from_bytes(&request.body).expect("a form with the documented fields")
}

fn webhook(url: &str) -> Value {
    json!({"type": "webhook", "url": url, "profile": "webscraper"})
}

async fn one_form_notification_per_job_with_web_scraper_s_fields(deployment: Deployment) {
    let _machine = crate::beside_others().await;
    let site = TestSite::serve(
        SiteGraph::default()
            .page("/", PageKind::Html(vec!["/a".into(), "/b".into()]))
            .page("/a", PageKind::Html(vec![]))
            .page("/b", PageKind::NotFound),
    )
    .await;
    let inbox = Inbox::start(|_, _| Answer::Status(200)).await;
    let cluster = Cluster::start(crawler_testkit::binaries!(), deployment, &settings()).await;
    let job = submit(
        &cluster,
        json!({
            "start_url": site.url("/"),
            "max_depth": 1,
            "name": "my-sitemap",
            "custom_id": "custom-scraping-job-12",
            "callback": webhook(&inbox.url),
        }),
    )
    .await;
    inbox
        .wait_until(WAIT, "the notification", |r| !r.is_empty())
        .await;
    wait_ended(&cluster, &job).await;
    // Page events are never sent to this profile: give a wrong one time to arrive.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let requests = inbox.requests();
    assert_eq!(requests.len(), 1, "one notification per job");
    assert_eq!(
        notification(&requests[0]),
        Notification {
            scrapingjob_id: job.clone(),
            status: "finished".into(),
            sitemap_id: job,
            sitemap_name: "my-sitemap".into(),
            custom_id: "custom-scraping-job-12".into(),
        }
    );
}

async fn a_job_whose_pages_mostly_failed_is_failed(deployment: Deployment) {
    let _machine = crate::beside_others().await;
    let site = TestSite::serve(
        SiteGraph::default()
            .page(
                "/",
                PageKind::Html(vec!["/x".into(), "/y".into(), "/z".into()]),
            )
            .page("/x", PageKind::NotFound)
            .page(
                "/y",
                PageKind::Flaky {
                    failures: 100,
                    links: vec![],
                },
            )
            .page("/z", PageKind::Html(vec![])),
    )
    .await;
    let inbox = Inbox::start(|_, _| Answer::Status(200)).await;
    let cluster = Cluster::start(crawler_testkit::binaries!(), deployment, &settings()).await;
    let job = submit(
        &cluster,
        json!({
            "start_url": site.url("/"), "max_depth": 1, "callback": webhook(&inbox.url),
        }),
    )
    .await;
    let requests = inbox
        .wait_until(WAIT, "the notification", |r| !r.is_empty())
        .await;
    let got = notification(&requests[0]);
    assert_eq!(got.scrapingjob_id, job);
    // Two of four pages is half, not more than half: finished.
    assert_eq!(got.status, "finished");

    let site = TestSite::serve(
        SiteGraph::default()
            .page("/", PageKind::Html(vec!["/x".into(), "/y".into()]))
            .page("/x", PageKind::NotFound)
            .page(
                "/y",
                PageKind::Flaky {
                    failures: 100,
                    links: vec![],
                },
            ),
    )
    .await;
    let job = submit(
        &cluster,
        json!({
            "start_url": site.url("/"), "max_depth": 1, "callback": webhook(&inbox.url),
        }),
    )
    .await;
    let requests = inbox
        .wait_until(WAIT, "the second notification", |r| r.len() >= 2)
        .await;
    let got = notification(&requests[1]);
    assert_eq!(
        (got.scrapingjob_id.as_str(), got.status.as_str()),
        (job.as_str(), "failed")
    );
}

async fn an_unanswered_notification_is_resent_after_5_then_10_seconds(deployment: Deployment) {
    let _machine = crate::alone().await;
    let site = TestSite::serve(SiteGraph::default().page("/", PageKind::Html(vec![]))).await;
    // At a tenth: the first request outlasts the 1 s timeout, the second gets a 500, the
    // third is accepted.
    let inbox = Inbox::start(|n, _| match n {
        0 => Answer::After(Duration::from_secs(3)),
        1 => Answer::Status(500),
        _ => Answer::Status(200),
    })
    .await;
    let cluster = Cluster::start(crawler_testkit::binaries!(), deployment, &settings()).await;
    submit(
        &cluster,
        json!({
            "start_url": site.url("/"), "max_depth": 0, "callback": webhook(&inbox.url),
        }),
    )
    .await;
    inbox
        .wait_until(WAIT, "three requests", |r| r.len() >= 3)
        .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let requests = inbox.requests();
    assert_eq!(requests.len(), 3, "accepted on the third: no more");
    assert!(requests
        .iter()
        .all(|r| notification(r).status == "finished"));
    let first_gap = requests[1].at - requests[0].at;
    let second_gap = requests[2].at - requests[1].at;
    // The first request was answered 200 after 3 s: that it was sent again proves the
    // sender stopped waiting at its timeout (1 s), then waited the first resend delay
    // (500 ms, less at most 20% jitter).
    assert!(first_gap >= Duration::from_millis(1_350), "{first_gap:?}");
    // The second resend delay: 1 s, less at most 20% jitter.
    assert!(second_gap >= Duration::from_millis(780), "{second_gap:?}");
}

async fn continue_fetches_failed_and_empty_pages_again_then_notifies_afresh(
    deployment: Deployment,
) {
    let _machine = crate::beside_others().await;
    let site = TestSite::serve(
        SiteGraph::default()
            .page(
                "/",
                PageKind::Html(vec!["/flaky".into(), "/empty".into(), "/ok".into()]),
            )
            .page(
                "/flaky",
                PageKind::Flaky {
                    failures: 1,
                    links: vec![],
                },
            )
            .page("/empty", PageKind::raw_html(""))
            .page("/ok", PageKind::raw_html("<p>fine</p>")),
    )
    .await;
    let inbox = Inbox::start(|_, _| Answer::Status(200)).await;
    let cluster = Cluster::start(crawler_testkit::binaries!(), deployment, &settings()).await;
    let job = submit(
        &cluster,
        json!({
            "start_url": site.url("/"), "max_depth": 1, "callback": webhook(&inbox.url),
        }),
    )
    .await;
    inbox
        .wait_until(WAIT, "the notification", |r| !r.is_empty())
        .await;
    let status = wait_ended(&cluster, &job).await;
    assert_eq!(
        (status["completed"].as_u64(), status["failed"].as_u64()),
        (Some(3), Some(1))
    );

    let answer = request(
        &cluster,
        reqwest::Method::POST,
        &format!("/v1/crawls/{job}/continue"),
    )
    .await;
    assert_eq!(answer.status().as_u16(), 202);
    let answer: Value = answer.json().await.unwrap();
    assert_eq!(
        answer["refetching"], 2,
        "the failed and the empty page: {answer}"
    );

    let requests = inbox
        .wait_until(WAIT, "a fresh notification", |r| r.len() >= 2)
        .await;
    let fresh = notification(&requests[1]);
    assert_eq!(
        (fresh.scrapingjob_id.as_str(), fresh.status.as_str()),
        (job.as_str(), "finished")
    );
    assert_ne!(
        requests[0].header("webhook-id"),
        requests[1].header("webhook-id"),
        "a new notification, not a resend of the first"
    );
    let status = wait_ended(&cluster, &job).await;
    assert_eq!(
        (status["completed"].as_u64(), status["failed"].as_u64()),
        (Some(4), Some(0))
    );
    let hits: BTreeMap<String, usize> = site.hit_counts();
    assert_eq!(hits.get("/flaky"), Some(&2));
    assert_eq!(hits.get("/empty"), Some(&2));
    assert_eq!(
        hits.get("/ok"),
        Some(&1),
        "a page with content is not fetched again"
    );
    assert_eq!(hits.get("/"), Some(&1));

    // Nothing left to fetch again but the empty page, which is still empty.
    let again = request(
        &cluster,
        reqwest::Method::POST,
        &format!("/v1/crawls/{job}/continue"),
    )
    .await;
    assert_eq!(again.status().as_u16(), 202);
}

async fn continuing_a_running_job_is_a_conflict(deployment: Deployment) {
    let _machine = crate::beside_others().await;
    let site = TestSite::serve_slowly(
        SiteGraph::default().page("/", PageKind::Html(vec![])),
        Duration::from_secs(3),
    )
    .await;
    let cluster = Cluster::start(crawler_testkit::binaries!(), deployment, &settings()).await;
    let job = submit(
        &cluster,
        json!({"start_url": site.url("/"), "max_depth": 0}),
    )
    .await;
    let answer = request(
        &cluster,
        reqwest::Method::POST,
        &format!("/v1/crawls/{job}/continue"),
    )
    .await;
    assert_eq!(answer.status().as_u16(), 409);
    let unknown = request(
        &cluster,
        reqwest::Method::POST,
        "/v1/crawls/0191e6c4-0000-7000-8000-000000000000/continue",
    )
    .await;
    assert_eq!(unknown.status().as_u16(), 404);
}

on_both_deployments!(
    one_form_notification_per_job_with_web_scraper_s_fields,
    a_job_whose_pages_mostly_failed_is_failed,
    an_unanswered_notification_is_resent_after_5_then_10_seconds,
    continue_fetches_failed_and_empty_pages_again_then_notifies_afresh,
    continuing_a_running_job_is_a_conflict,
);
