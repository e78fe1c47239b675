//! A job's results downloaded in each format, and a job purged with its data.

use crawler_testkit::cluster::{Cluster, Deployment};
use crawler_testkit::site::{PageKind, SiteGraph, TestSite};
use futures::StreamExt;
use serde_json::{json, Value};

use super::{request, settings, submit, wait_ended};

fn site() -> SiteGraph {
    SiteGraph::default()
        .page("/", PageKind::Html(vec!["/a".into(), "/b".into()]))
        .page(
            "/a",
            PageKind::raw_html("<p>a, \"quoted\"\nand two lines</p>"),
        )
        .page("/b", PageKind::NotFound)
}

/// The body of a download, read chunk by chunk as a client streaming it would.
async fn download(cluster: &Cluster, job: &str, format: &str) -> (String, Vec<u8>) {
    let response = request(
        cluster,
        reqwest::Method::GET,
        &format!("/v1/crawls/{job}/results?format={format}"),
    )
    .await;
    assert_eq!(response.status().as_u16(), 200, "{format}");
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    let mut body = Vec::new();
    let mut chunks = response.bytes_stream();
    while let Some(chunk) = chunks.next().await {
        body.extend_from_slice(&chunk.expect("a chunk"));
    }
    (content_type, body)
}

async fn results_download_as_json_jsonl_and_csv_then_purge(deployment: Deployment) {
    let _machine = crate::beside_others().await;
    let site = TestSite::serve(site()).await;
    let cluster = Cluster::start(crawler_testkit::binaries!(), deployment, &settings()).await;
    let job = submit(
        &cluster,
        json!({"start_url": site.url("/"), "max_depth": 1}),
    )
    .await;
    wait_ended(&cluster, &job).await;

    let (content_type, body) = download(&cluster, &job, "json").await;
    assert_eq!(content_type, "application/json");
    let pages: Vec<Value> = serde_json::from_slice(&body).expect("one JSON array");
    let by_url = |pages: &[Value], path: &str| {
        pages
            .iter()
            .find(|p| p["url"] == site.url(path))
            .cloned()
            .unwrap_or_else(|| panic!("no {path} in {pages:?}"))
    };
    assert_eq!(pages.len(), 3);
    let a = by_url(&pages, "/a");
    assert_eq!(
        (
            a["status"].as_str(),
            a["statusCode"].as_u64(),
            a["depth"].as_u64()
        ),
        (Some("finished"), Some(200), Some(1))
    );
    assert!(a["body"].as_str().unwrap().contains("two lines"));
    let b = by_url(&pages, "/b");
    assert_eq!(
        (b["status"].as_str(), b["statusCode"].as_u64()),
        (Some("failed"), Some(404))
    );

    let (content_type, body) = download(&cluster, &job, "jsonl").await;
    assert_eq!(content_type, "application/x-ndjson");
    let lines: Vec<Value> = String::from_utf8(body)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object a line"))
        .collect();
    assert_eq!(lines, pages, "the same pages, in the same order");

    let (content_type, body) = download(&cluster, &job, "csv").await;
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    let mut reader = csv::Reader::from_reader(body.as_slice());
    let headers: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(&headers[..4], ["url", "status", "statusCode", "depth"]);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3);
    let a_row = rows
        .iter()
        .find(|r| r[0] == site.url("/a"))
        .expect("a row for /a");
    assert_eq!(
        &a_row[6],
        a["body"].as_str().unwrap(),
        "quotes and newlines survive"
    );

    let bad = request(
        &cluster,
        reqwest::Method::GET,
        &format!("/v1/crawls/{job}/results?format=xml"),
    )
    .await;
    assert_eq!(bad.status().as_u16(), 400);
    let error: Value = bad.json().await.unwrap();
    assert_eq!(error["error"]["field"], "format");

    let purged = request(
        &cluster,
        reqwest::Method::DELETE,
        &format!("/v1/crawls/{job}?purge=true"),
    )
    .await;
    assert_eq!(purged.status().as_u16(), 200);
    let purged: Value = purged.json().await.unwrap();
    assert_eq!(purged["purged"], true);
    for path in [
        format!("/v1/crawls/{job}"),
        format!("/v1/crawls/{job}/results"),
    ] {
        let (status, _) = cluster.get(&path).await;
        assert_eq!(status, 404, "{path}");
    }
    let (_, listing) = cluster.get("/v1/crawls").await;
    assert!(
        listing["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|j| j["jobId"] != job.as_str()),
        "a purged job is not listed: {listing}"
    );
}

on_both_deployments!(results_download_as_json_jsonl_and_csv_then_purge);
