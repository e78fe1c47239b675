//! `crawler crawl URL`: the pages it writes, the summary it prints, and Ctrl-C.

use std::time::{Duration, Instant};

use crawler_testkit::site::{SiteGraph, TestSite};
use tokio::io::{AsyncBufReadExt, BufReader};

use super::{crawler, expected_rows, finish, json_lines, page_rows, run, small_site};

const MAX_DEPTH: u32 = 2;

#[tokio::test]
async fn crawl_writes_the_breadth_first_pages_to_a_file_and_summarises_on_stderr() {
    let _machine = crate::beside_others().await;
    let site = TestSite::serve(small_site()).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let output = dir.path().join("pages.jsonl");
    let output = output.to_str().expect("utf-8 path");
    let depth = MAX_DEPTH.to_string();

    let ran = run(&["crawl", &site.url("/"), "--max-depth", &depth, "-o", output]).await;

    assert_eq!(ran.code, Some(0), "{}", ran.dump());
    assert_eq!(ran.stdout, "", "pages go to the file, not stdout");
    let events = json_lines(&std::fs::read_to_string(output).expect("read output"));
    let expected = small_site().expected(&site.base, MAX_DEPTH, ".*", None, usize::MAX);
    assert_eq!(page_rows(&events), expected_rows(&expected));
    let pages = events.len() - 1;
    assert!(
        events[..pages].iter().all(|e| e["event"] == "crawl.page"),
        "every line but the last is a page event"
    );
    let summary = &events[pages];
    assert_eq!(
        summary["event"], "crawl.finished",
        "the last line: {summary}"
    );
    assert_eq!(summary["jobState"], "finished");
    assert_eq!(summary["completed"].as_array().map(Vec::len), Some(5));
    assert_eq!(summary["failed"][0]["failReason"], "http_404");
    assert!(
        !site.hit_counts().contains_key("/a/1/2"),
        "a page deeper than --max-depth was fetched"
    );

    // The human summary is the last thing on stderr, and nothing there is a log line.
    assert!(
        ran.stderr
            .contains("crawl finished (stop reason: exhausted)\n"),
        "{}",
        ran.dump()
    );
    assert!(
        ran.stderr
            .contains("  pages      5 completed, 1 failed, 0 cancelled\n"),
        "{}",
        ran.dump()
    );
    assert!(
        ran.stderr
            .contains(&format!("  failed     {} (http_404)", site.url("/missing"))),
        "{}",
        ran.dump()
    );
    assert_no_log_lines(&ran.stderr);
    assert_no_repeated_lines(&ran.stderr);
}

#[tokio::test]
async fn crawl_to_dash_writes_the_lines_to_stdout() {
    let _machine = crate::beside_others().await;
    let site = TestSite::serve(small_site()).await;
    let depth = MAX_DEPTH.to_string();

    let ran = run(&["crawl", &site.url("/"), "--max-depth", &depth, "-o", "-"]).await;

    assert_eq!(ran.code, Some(0), "{}", ran.dump());
    let events = json_lines(&ran.stdout);
    let expected = small_site().expected(&site.base, MAX_DEPTH, ".*", None, usize::MAX);
    assert_eq!(page_rows(&events), expected_rows(&expected));
    assert_eq!(
        events.last().map(|e| e["event"].clone()),
        Some("crawl.finished".into())
    );
    assert!(
        !ran.stderr.contains('{'),
        "no JSON on stderr: {}",
        ran.dump()
    );
    assert!(
        ran.stderr.contains("crawl finished"),
        "the summary still goes to stderr: {}",
        ran.dump()
    );
}

#[tokio::test]
async fn ctrl_c_cancels_the_crawl_prints_a_cancelled_summary_and_exits_3() {
    let _machine = crate::alone().await;
    // About 40 pages a second (8 per host at once, 200 ms each): the crawl of 2000 pages
    // is far from done when the signal arrives.
    let site = TestSite::serve_slowly(SiteGraph::generated(2000), Duration::from_millis(200)).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let output = dir.path().join("pages.jsonl");
    let output = output.to_str().expect("utf-8 path");
    let child = crawler(&["crawl", &site.url("/"), "--max-depth", "20", "-o", output])
        .spawn()
        .expect("start crawler");
    let pid = child.id().expect("pid");

    wait_until(Duration::from_secs(10), "the crawl to fetch pages", || {
        site.hits().len() >= 10
    })
    .await;
    // The page events already written reach the file before the crawl ends.
    wait_until(Duration::from_secs(5), "page lines in the output", || {
        std::fs::read_to_string(output).is_ok_and(|text| text.lines().count() >= 3)
    })
    .await;
    let hits_at_signal = site.hits().len();
    let status = std::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "could not send SIGINT");
    let ran = finish(child).await;

    assert_eq!(ran.code, Some(3), "{}", ran.dump());
    assert!(
        ran.stderr
            .contains("crawl cancelled (stop reason: cancelled)\n"),
        "{}",
        ran.dump()
    );
    assert_no_log_lines(&ran.stderr);
    let events = json_lines(&std::fs::read_to_string(output).expect("read output"));
    let summary = events.last().expect("a summary line");
    assert_eq!(summary["event"], "crawl.finished", "{summary}");
    assert_eq!(summary["jobState"], "cancelled");
    assert_eq!(summary["stopReason"], "cancelled");
    let pages = events.len() - 1;
    let done = summary["completed"].as_array().map_or(0, Vec::len)
        + summary["failed"].as_array().map_or(0, Vec::len);
    assert_eq!(pages, done, "one page line per page the summary counts");
    assert!(pages < 2000, "the crawl stopped early");
    // Pages in flight finish, but nothing new is fetched: at most a fetch or two that
    // started as the signal arrived, never the next level of the site.
    let fetched_after = site.hits().len() - hits_at_signal;
    assert!(fetched_after <= 8, "{fetched_after} fetches after Ctrl-C");
}

#[tokio::test]
async fn a_reader_closing_stdout_cancels_the_crawl_without_an_error() {
    let _machine = crate::beside_others().await;
    let site = TestSite::serve_slowly(SiteGraph::generated(2000), Duration::from_millis(200)).await;
    let mut child = crawler(&["crawl", &site.url("/"), "--max-depth", "20", "-o", "-"])
        .spawn()
        .expect("start crawler");
    let stdout = child.stdout.take().expect("stdout");

    // What `crawler crawl URL | head -1` does: read one line, close the pipe.
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next_line().await.expect("read stdout");
    assert!(first.is_some_and(|l| l.contains("\"crawl.page\"")));
    drop(lines);
    let ran = finish(child).await;

    assert_eq!(ran.code, Some(3), "{}", ran.dump());
    assert!(
        ran.stderr
            .contains("the output was closed: cancelling the crawl\n"),
        "{}",
        ran.dump()
    );
    assert!(
        ran.stderr
            .contains("crawl cancelled (stop reason: cancelled)\n"),
        "{}",
        ran.dump()
    );
    assert!(!ran.stderr.contains("error"), "{}", ran.dump());
}

/// Fails when stderr prints the same line twice in a row, as a progress line that did not
/// change would be.
pub fn assert_no_repeated_lines(stderr: &str) {
    let lines: Vec<&str> = stderr.lines().collect();
    for pair in lines.windows(2) {
        assert_ne!(pair[0], pair[1], "a line printed twice:\n{stderr}");
    }
}

/// Fails on anything on stderr that looks like a tracing line (`... WARN crawler...`), so
/// internal logs never reach a user of `crawl` who did not ask for them.
pub fn assert_no_log_lines(stderr: &str) {
    for line in stderr.lines() {
        let logged = [" TRACE ", " DEBUG ", " INFO ", " WARN ", " ERROR "]
            .iter()
            .any(|level| line.contains(level));
        assert!(!logged, "a log line reached stderr: {line}\n{stderr}");
        assert!(
            !line.contains("panicked") && !line.contains("stack backtrace"),
            "{stderr}"
        );
    }
}

async fn wait_until(timeout: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
