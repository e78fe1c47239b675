//! `crawler submit|status|watch|cancel|jobs` against `crawler serve`.

use std::time::Duration;

use crawler_testkit::site::{SiteGraph, TestSite};

use super::crawl::assert_no_log_lines;
use super::{closed_port, run, small_site, start_serve};

/// The job id from `submit`'s `jobId: ...` line.
fn job_id(stdout: &str) -> String {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("jobId: "))
        .unwrap_or_else(|| panic!("no jobId line in:\n{stdout}"))
        .to_string()
}

#[tokio::test]
async fn submit_watch_status_and_jobs_follow_a_job_to_its_end() {
    let _machine = crate::beside_others().await;
    let site = TestSite::serve(small_site()).await;
    let (_serve, api) = start_serve().await;

    let ran = run(&[
        "submit",
        &site.url("/"),
        "--max-depth",
        "1",
        "--api",
        &api,
        "--watch",
    ])
    .await;
    assert_eq!(ran.code, Some(0), "{}", ran.dump());
    let job = job_id(&ran.stdout);
    assert!(
        ran.stdout
            .contains(&format!("statusUrl: {api}/v1/crawls/{job}")),
        "{}",
        ran.dump()
    );
    // Depth 1 of the small site: /, /a, /b succeed and /missing fails.
    assert!(
        ran.stderr
            .contains("crawl finished (stop reason: exhausted)\n"),
        "{}",
        ran.dump()
    );
    assert!(
        ran.stderr
            .contains("  pages      3 completed, 1 failed, 0 cancelled\n"),
        "{}",
        ran.dump()
    );
    assert_no_log_lines(&ran.stderr);

    let ran = run(&["status", &job, "--api", &api]).await;
    assert_eq!(ran.code, Some(0), "{}", ran.dump());
    assert!(
        ran.stdout
            .contains("state      finished (stop reason: exhausted)\n"),
        "{}",
        ran.dump()
    );
    assert!(
        ran.stdout
            .contains("pages      3 completed, 1 failed, 0 cancelled, 0 pending\n"),
        "{}",
        ran.dump()
    );

    // A refused job names the flag the user typed, in one line, and creates no job.
    let ran = run(&["submit", &site.url("/"), "--include", "(", "--api", &api]).await;
    assert_eq!(ran.code, Some(1), "{}", ran.dump());
    assert_eq!(
        ran.stderr_lines(),
        ["error: --include is not a valid regex: regex parse error: unclosed group"],
        "{}",
        ran.dump()
    );

    let ran = run(&["jobs", "--api", &api]).await;
    assert_eq!(ran.code, Some(0), "{}", ran.dump());
    let row = ran
        .stdout
        .lines()
        .find(|l| l.starts_with(&job))
        .unwrap_or_else(|| panic!("the job is listed: {}", ran.dump()));
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(&cells[1..4], ["finished", "3", "1"], "{row}");
    assert!(ran.stdout.ends_with("jobs 1-1 of 1\n"), "{}", ran.dump());
}

#[tokio::test]
async fn cancel_stops_a_running_job_and_watch_exits_3() {
    let _machine = crate::alone().await;
    let site = TestSite::serve_slowly(SiteGraph::generated(2000), Duration::from_millis(200)).await;
    let (_serve, api) = start_serve().await;
    let ran = run(&["submit", &site.url("/"), "--max-depth", "20", "--api", &api]).await;
    assert_eq!(ran.code, Some(0), "{}", ran.dump());
    let job = job_id(&ran.stdout);

    let ran = run(&["cancel", &job, "--api", &api]).await;
    assert_eq!(ran.code, Some(0), "{}", ran.dump());
    assert!(
        ran.stdout.contains(&format!("job        {job}\n")),
        "{}",
        ran.dump()
    );
    assert!(ran.stdout.contains("cancelled"), "{}", ran.dump());

    let ran = run(&["watch", &job, "--api", &api]).await;
    assert_eq!(ran.code, Some(3), "{}", ran.dump());
    assert!(
        ran.stderr
            .contains("crawl cancelled (stop reason: cancelled)\n"),
        "{}",
        ran.dump()
    );
    assert!(
        site.hits().len() < 100,
        "the crawl went on after the cancel"
    );
}

#[tokio::test]
async fn a_coordinator_that_is_down_is_one_line() {
    let _machine = crate::beside_others().await;
    let addr = closed_port().await;
    let api = format!("http://{addr}");

    for args in [
        vec!["status", "01a21707-36c6-7148-8094-46cd7eddea5c"],
        vec!["jobs"],
    ] {
        let mut args = args;
        args.extend(["--api", api.as_str()]);
        let ran = run(&args).await;

        assert_eq!(ran.code, Some(1), "{}", ran.dump());
        assert_eq!(
            ran.stderr_lines(),
            [format!(
                "error: cannot reach the coordinator at {api}: connection refused; is it running? (crawler serve starts one)"
            )],
            "{}",
            ran.dump()
        );
        assert_eq!(ran.stdout, "");
    }
}
