//! Mistakes a user makes with `crawler crawl` each get one line a person can act on: no
//! backtrace, no log lines, a non-zero exit, and the previous results left alone.

use crawler_testkit::site::TestSite;

use super::crawl::{assert_no_log_lines, assert_no_repeated_lines};
use super::{closed_port, run, small_site, Ran};

/// Asserts the command failed with exactly one line on stderr, starting `error: `, and
/// returns that line.
fn single_error_line(ran: &Ran) -> String {
    assert_eq!(ran.code, Some(1), "{}", ran.dump());
    let lines = ran.stderr_lines();
    assert_eq!(lines.len(), 1, "one line on stderr: {}", ran.dump());
    assert!(lines[0].starts_with("error: "), "{}", ran.dump());
    lines[0].to_string()
}

#[tokio::test]
async fn a_bad_regex_is_one_line_naming_the_flag_and_leaves_the_output_alone() {
    let _machine = crate::beside_others().await;
    let site = TestSite::serve(small_site()).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let output = dir.path().join("pages.jsonl");
    std::fs::write(&output, "results of an earlier crawl\n").expect("write");
    let output_arg = output.to_str().expect("utf-8 path");

    for flag in ["--include", "--exclude"] {
        let ran = run(&["crawl", &site.url("/"), flag, "(", "-o", output_arg]).await;

        let line = single_error_line(&ran);
        assert!(
            line.starts_with(&format!("error: {flag} ")),
            "names the flag: {line}"
        );
        assert!(line.contains("not a valid regex"), "{line}");
        assert!(
            line.contains("unclosed group"),
            "says what is wrong: {line}"
        );
        assert_eq!(ran.stdout, "");
    }
    assert_eq!(
        std::fs::read_to_string(&output).expect("read"),
        "results of an earlier crawl\n",
        "a refused crawl must not truncate the output file"
    );
    assert!(site.hits().is_empty(), "a refused crawl fetched pages");
}

#[tokio::test]
async fn a_start_url_that_is_not_http_is_one_line() {
    let _machine = crate::beside_others().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let output = dir.path().join("pages.jsonl");

    let ran = run(&["crawl", "ftp://x", "-o", output.to_str().expect("path")]).await;

    let line = single_error_line(&ran);
    assert_eq!(
        line,
        "error: URL: only http and https URLs can be crawled, not ftp"
    );
    assert!(!output.exists(), "a refused crawl created its output file");
}

#[tokio::test]
async fn an_unreachable_start_url_ends_with_one_clear_error_line() {
    let _machine = crate::beside_others().await;
    let addr = closed_port().await;
    let url = format!("http://{addr}/");
    let dir = tempfile::tempdir().expect("temp dir");
    let output = dir.path().join("pages.jsonl");

    let ran = run(&["crawl", &url, "-o", output.to_str().expect("path")]).await;

    assert_eq!(ran.code, Some(1), "{}", ran.dump());
    assert_no_log_lines(&ran.stderr);
    assert_no_repeated_lines(&ran.stderr);
    let errors: Vec<&str> = ran
        .stderr_lines()
        .into_iter()
        .filter(|l| l.starts_with("error"))
        .collect();
    assert_eq!(
        errors,
        [format!(
            "error: could not crawl the start URL {url}: connection refused; is the site up?"
        )],
        "{}",
        ran.dump()
    );
    assert_eq!(
        ran.stderr_lines().last().copied(),
        Some(errors[0]),
        "the error is the last thing printed: {}",
        ran.dump()
    );
    // The failure is recorded as data too, for a script reading the output.
    let text = std::fs::read_to_string(&output).expect("read output");
    let events = super::json_lines(&text);
    assert_eq!(events.len(), 2, "{text}");
    assert_eq!(events[0]["failReason"], "connection_refused");
    assert_eq!(events[1]["event"], "crawl.finished");
}
