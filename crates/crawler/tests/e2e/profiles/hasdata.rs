//! The `hasdata` profile against a receiver written from HasData's webhook documentation
//! (<https://docs.hasdata.com/scrapers/websites-crawler/webhooks>, read 2026-12):
//!
//! - the job carries `webhook: {url, events, headers}`; the headers "will be included in
//!   every webhook request. Use it to include auth tokens";
//! - events `scraper.job.started`, `scraper.data.scraped` ("may trigger multiple times")
//!   and `scraper.job.finished`;
//! - "Each webhook event will include: event, jobId, timestamp (ISO), data", plus
//!   `jobStatus` (`in_progress` while running, `finished` at the end); a scraped row has
//!   `url`, `statusCode`, `depth` and the extracted `text`;
//! - "retries automatically on failure (3 attempts)".

use std::collections::BTreeMap;
use std::time::Duration;

use crawler_testkit::cluster::{Cluster, Deployment};
use crawler_testkit::site::{PageKind, SiteGraph, TestSite};
use serde::Deserialize;
use serde_json::json;

use super::inbox::{Answer, Inbox};
use super::{settings, submit, WAIT};

/// The token the receiver expects in its own header.
const TOKEN: &str = "hd-receiver-token-1";

/// A webhook body as HasData documents it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct HasDataEvent {
    event: String,
    job_id: String,
    job_status: String,
    timestamp: String,
    #[serde(default)]
    data: Vec<Row>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Row {
    url: String,
    status_code: Option<u16>,
    depth: u32,
    #[serde(default)]
    text: Option<String>,
}

fn site() -> SiteGraph {
    SiteGraph::default()
        .page("/", PageKind::Html(vec!["/a".into(), "/gone".into()]))
        .page("/a", PageKind::raw_html("<p>article a</p>"))
        .page("/gone", PageKind::NotFound)
}

/// Answers 401 to a request without the receiver's token, as a receiver that checks its
/// auth header does, and 200 otherwise.
fn checks_token(_: usize, headers: &axum::http::HeaderMap) -> Answer {
    match headers
        .get("x-receiver-token")
        .and_then(|v| v.to_str().ok())
    {
        Some(TOKEN) => Answer::Status(200),
        _ => Answer::Status(401),
    }
}

async fn a_hasdata_receiver_gets_the_job_s_events_with_its_auth_header(deployment: Deployment) {
    let _machine = crate::beside_others().await;
    let site = TestSite::serve(site()).await;
    let inbox = Inbox::start(checks_token).await;
    let cluster = Cluster::start(crawler_testkit::binaries!(), deployment, &settings()).await;
    let job = submit(
        &cluster,
        json!({
            "start_url": site.url("/"),
            "max_depth": 1,
            "webhook": {
                "url": inbox.url,
                "events": ["scraper.job.started", "scraper.data.scraped", "scraper.job.finished"],
                "headers": {"x-receiver-token": TOKEN},
            },
        }),
    )
    .await;

    let requests = inbox
        .wait_until(WAIT, "scraper.job.finished", |r| {
            r.iter()
                .any(|r| String::from_utf8_lossy(&r.body).contains("scraper.job.finished"))
        })
        .await;
    let events: Vec<HasDataEvent> = requests
        .iter()
        .map(|r| {
            assert_eq!(r.header("content-type"), Some("application/json"));
            assert_eq!(
                r.header("x-receiver-token"),
                Some(TOKEN),
                "every request carries it"
            );
            serde_json::from_slice(&r.body).expect("a HasData event")
        })
        .collect();
    assert!(events.iter().all(|e| e.job_id == job));
    assert!(
        events.iter().all(|e| looks_like_iso_8601(&e.timestamp)),
        "{events:?}"
    );
    let names: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(
        names
            .iter()
            .filter(|n| **n == "scraper.job.started")
            .count(),
        1
    );
    assert_eq!(
        names.last(),
        Some(&"scraper.job.finished"),
        "finished comes last: {names:?}"
    );

    let rows: BTreeMap<String, &Row> = events
        .iter()
        .filter(|e| e.event == "scraper.data.scraped")
        .inspect(|e| assert_eq!(e.job_status, "in_progress"))
        .flat_map(|e| {
            assert_eq!(e.data.len(), 1, "one page per scraped event");
            e.data.iter().map(|row| (row.url.clone(), row))
        })
        .collect();
    let urls: Vec<&String> = rows.keys().collect();
    assert_eq!(urls, [&site.url("/"), &site.url("/a"), &site.url("/gone")]);
    let a = rows[&site.url("/a")];
    assert_eq!((a.status_code, a.depth), (Some(200), 1));
    assert!(
        a.text.as_deref().is_some_and(|t| t.contains("article a")),
        "{a:?}"
    );
    assert_eq!(rows[&site.url("/gone")].status_code, Some(404));
    assert_eq!(rows[&site.url("/")].depth, 0);
    let finished = events.last().expect("finished");
    assert_eq!(finished.job_status, "finished", "one page of three failed");
}

async fn a_failing_hasdata_receiver_gets_three_attempts(deployment: Deployment) {
    let _machine = crate::beside_others().await;
    let site = TestSite::serve(SiteGraph::default().page("/", PageKind::Html(vec![]))).await;
    let inbox = Inbox::start(|_, _| Answer::Status(503)).await;
    let cluster = Cluster::start(crawler_testkit::binaries!(), deployment, &settings()).await;
    submit(
        &cluster,
        json!({
            "start_url": site.url("/"),
            "max_depth": 0,
            "webhook": {"url": inbox.url, "events": ["scraper.job.finished"]},
        }),
    )
    .await;
    // The profile's retries at a tenth: 10 s and 1 min become 1 s and 6 s.
    inbox
        .wait_until(WAIT, "three attempts", |r| r.len() >= 3)
        .await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    let requests = inbox.requests();
    assert_eq!(requests.len(), 3, "three attempts, then no more");
    let ids: Vec<Option<&str>> = requests.iter().map(|r| r.header("webhook-id")).collect();
    assert!(
        ids.iter().all(|id| *id == ids[0]),
        "one event, attempted three times"
    );
}

/// `2026-12-04T19:20:19.123Z` and the like.
fn looks_like_iso_8601(text: &str) -> bool {
    let bytes = text.as_bytes();
    text.len() >= 20
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes[10] == b'T'
        && bytes[13] == b':'
        && (text.ends_with('Z') || text.contains('+'))
}

on_both_deployments!(
    a_hasdata_receiver_gets_the_job_s_events_with_its_auth_header,
    a_failing_hasdata_receiver_gets_three_attempts,
);
