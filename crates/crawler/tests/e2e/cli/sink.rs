//! `crawler sink` receiving a job's webhooks from `crawler serve`, checking each signature.

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use crawler_testkit::process::RoleProcess;
use crawler_testkit::site::TestSite;
use serde_json::{json, Value};

use super::{expected_rows, json_lines, page_rows, run, small_site, start_serve, CRAWLER};

/// `whsec_` and the base64 of 32 bytes: a secret both the job and the sink are given.
const SECRET: &str = "whsec_Y2xpLXRlc3Qtc2lnbmluZy1rZXktMzItYnl0ZXMhISE=";

/// `crawler sink` checking [`SECRET`], storing deliveries in `stored`.
async fn start_sink(stored: &Path) -> (RoleProcess, SocketAddr) {
    let sink = RoleProcess::spawn_with_args(
        "crawler-sink",
        CRAWLER,
        &[
            "sink",
            "--addr",
            "127.0.0.1:0",
            "--secret",
            SECRET,
            "--output",
            stored.to_str().expect("path"),
        ],
        &[],
    );
    let addr = sink.wait_for_listening().await;
    (sink, addr)
}

#[tokio::test]
async fn sink_verifies_and_prints_every_delivery_from_serve() {
    let _machine = crate::beside_others().await;
    let site = TestSite::serve(small_site()).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let stored = dir.path().join("deliveries.jsonl");
    let (sink, sink_addr) = start_sink(&stored).await;
    let (_serve, api) = start_serve().await;

    let answer: Value = reqwest::Client::new()
        .post(format!("{api}/v1/crawls"))
        .json(&json!({
            "start_url": site.url("/"),
            "max_depth": 2,
            "callback": {"type": "webhook", "url": format!("http://{sink_addr}/hooks"), "secret": SECRET},
        }))
        .send()
        .await
        .expect("submit")
        .error_for_status()
        .expect("job accepted")
        .json()
        .await
        .expect("answer");
    let job = answer["jobId"].as_str().expect("jobId");

    let records = wait_for_summary(&stored, Duration::from_secs(20)).await;
    for record in &records {
        assert_eq!(record["signatureOk"], true, "verified: {record}");
        assert_eq!(record["body"]["jobId"], job);
    }
    let bodies: Vec<Value> = records.iter().map(|r| r["body"].clone()).collect();
    let expected = small_site().expected(&site.base, 2, ".*", None, usize::MAX);
    assert_eq!(
        page_rows(&bodies),
        expected_rows(&expected),
        "every page event"
    );
    let summaries: Vec<&Value> = bodies
        .iter()
        .filter(|b| b["event"] == "crawl.finished")
        .collect();
    assert_eq!(summaries.len(), 1, "one summary");
    assert_eq!(summaries[0]["jobState"], "finished");

    // One readable line per delivery on the sink's stdout, each saying the signature held.
    let logs = sink.logs();
    let lines: Vec<&str> = logs.lines().filter(|l| l.contains(" crawl.")).collect();
    assert_eq!(lines.len(), records.len(), "one line per delivery:\n{logs}");
    assert!(lines.iter().all(|l| l.ends_with(" sig=ok")), "{logs}");
    let missing = site.url("/missing");
    assert!(
        lines.iter().any(
            |l| l.contains(&format!("crawl.page   failed {missing}  depth=1 cost=0"))
                && l.contains("reason=http_404")
        ),
        "a failed page reads as such:\n{logs}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("crawl.finished job=") && l.contains("completed=5 failed=1")),
        "{logs}"
    );
}

#[tokio::test]
async fn crawl_delivers_every_webhook_to_the_sink_before_it_exits() {
    let _machine = crate::beside_others().await;
    let site = TestSite::serve(small_site()).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let stored = dir.path().join("deliveries.jsonl");
    let (_sink, sink_addr) = start_sink(&stored).await;
    let webhook = format!("http://{sink_addr}/");
    let output = dir.path().join("pages.jsonl");

    let ran = run(&[
        "crawl",
        &site.url("/"),
        "--max-depth",
        "2",
        "--webhook",
        &webhook,
        "--webhook-secret",
        SECRET,
        "-o",
        output.to_str().expect("path"),
    ])
    .await;

    assert_eq!(ran.code, Some(0), "{}", ran.dump());
    // Read once, right after the exit: nothing may still be on its way.
    let text = std::fs::read_to_string(&stored).expect("read deliveries");
    let records = json_lines(&text);
    assert!(
        records.iter().all(|r| r["signatureOk"] == true),
        "signed with the given secret:\n{text}"
    );
    let bodies: Vec<Value> = records.iter().map(|r| r["body"].clone()).collect();
    let expected = small_site().expected(&site.base, 2, ".*", None, usize::MAX);
    assert_eq!(
        page_rows(&bodies),
        expected_rows(&expected),
        "every page event"
    );
    assert_eq!(
        bodies.last().map(|b| b["event"].clone()),
        Some("crawl.finished".into()),
        "the summary comes last:\n{text}"
    );
    assert!(
        ran.stderr
            .contains(&format!("  webhooks   7 of 7 delivered to {webhook}\n")),
        "{}",
        ran.dump()
    );
    assert!(
        !ran.stderr.contains("whsec_"),
        "a secret the user chose is not echoed: {}",
        ran.dump()
    );
}

/// Reads the sink's stored deliveries until the summary is among them.
async fn wait_for_summary(path: &Path, timeout: Duration) -> Vec<Value> {
    let deadline = Instant::now() + timeout;
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        // A line is written whole and flushed per delivery, but the last one may still be
        // in progress while it is read.
        let complete = text.rfind('\n').map_or("", |end| &text[..end]);
        let records = json_lines(complete);
        if records
            .iter()
            .any(|r| r["body"]["event"] == "crawl.finished")
        {
            return records;
        }
        assert!(
            Instant::now() < deadline,
            "no summary delivered in time; stored so far:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
