//! End-to-end tests of the `crawler` command as a user runs it: the built binary as a child
//! process, against sites served on loopback by the test, reading what it prints on stdout
//! and stderr and its exit status. No RabbitMQ or Redis: every command here runs on the
//! in-memory backends.

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use crawler_testkit::process::RoleProcess;
use crawler_testkit::site::{Expected, PageKind, SiteGraph};
use serde_json::Value;
use tokio::process::{Child, Command};

// The cases live in cli/, one file per command family.
mod client;
mod crawl;
mod errors;
mod pages;
mod sink;

const CRAWLER: &str = env!("CARGO_BIN_EXE_crawler");

/// Longest any single command may run before the test gives up on it.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

/// `crawler ARGS` with the environment of a user who set nothing: no `CRAWLER_*` settings
/// and no `RUST_LOG` of the developer's leak in, so what it prints is what a user sees.
/// Retries back off 50 ms instead of a second, to keep failing fetches fast.
fn crawler(args: &[&str]) -> Command {
    let mut command = Command::new(CRAWLER);
    command.args(args);
    for (key, _) in std::env::vars() {
        if key.starts_with("CRAWLER_") {
            command.env_remove(key);
        }
    }
    command
        .env_remove("RUST_LOG")
        .env("NO_COLOR", "1")
        .env("CRAWLER_FETCH_RETRY_BACKOFF_MS", "50")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

/// What a finished command printed and how it exited.
#[derive(Debug)]
struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Ran {
    fn stderr_lines(&self) -> Vec<&str> {
        self.stderr.lines().collect()
    }

    /// Everything, for assertion messages.
    fn dump(&self) -> String {
        format!(
            "exit {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Runs `crawler ARGS` to completion.
async fn run(args: &[&str]) -> Ran {
    finish(crawler(args).spawn().expect("start crawler")).await
}

/// Waits for a started command and collects its output.
async fn finish(child: Child) -> Ran {
    let output = tokio::time::timeout(COMMAND_TIMEOUT, child.wait_with_output())
        .await
        .expect("the command did not finish in time")
        .expect("wait for crawler");
    Ran {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Parses JSON lines, failing the test on any line that is not JSON.
fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"))
        })
        .collect()
}

/// The page events among `events` as `(url, status, depth, failReason)` sorted by URL,
/// and the same shape from the oracle, so a mismatch shows as one readable diff.
type PageRow = (String, String, u64, Option<String>);

fn page_rows(events: &[Value]) -> Vec<PageRow> {
    let mut rows: Vec<PageRow> = events
        .iter()
        .filter(|e| e["event"] == "crawl.page")
        .map(|e| {
            (
                e["url"].as_str().expect("url").to_string(),
                e["status"].as_str().expect("status").to_string(),
                e["currentDepth"].as_u64().expect("currentDepth"),
                e["failReason"].as_str().map(str::to_string),
            )
        })
        .collect();
    rows.sort();
    rows
}

fn expected_rows(expected: &Expected) -> Vec<PageRow> {
    let completed = expected
        .completed
        .iter()
        .map(|(url, depth)| (url.clone(), "finished".into(), u64::from(*depth), None));
    // The oracle does not track depths of failures; the tests' failing pages are all
    // linked from the start page, at depth 1.
    let failed = expected
        .failed
        .iter()
        .map(|(url, reason)| (url.clone(), "failed".into(), 1, Some(reason.clone())));
    let mut rows: Vec<PageRow> = completed.chain(failed).collect();
    rows.sort();
    rows
}

/// A small site with a cycle, a duplicate link differing by fragment, a 404 and a page
/// deeper than the tests' max depth of 2.
fn small_site() -> SiteGraph {
    let html = |links: &[&str]| PageKind::Html(links.iter().map(|l| l.to_string()).collect());
    SiteGraph::default()
        .page("/", html(&["/a", "/b", "/a#top", "/missing"]))
        .page("/a", html(&["/", "/a/1"]))
        .page("/b", html(&["/a", "/b/1"]))
        .page("/a/1", html(&["/a/1/2"]))
        .page("/b/1", html(&[]))
        .page("/a/1/2", html(&[]))
}

/// A loopback address nothing listens on.
async fn closed_port() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    addr
}

/// `crawler serve` on a free loopback port, on the in-memory backends and without API
/// keys, as a developer runs it.
async fn start_serve() -> (RoleProcess, String) {
    let env = [(
        "CRAWLER_FETCH_RETRY_BACKOFF_MS".to_string(),
        "50".to_string(),
    )];
    let serve = RoleProcess::spawn_with_args(
        "crawler-serve",
        CRAWLER,
        &["serve", "--addr", "127.0.0.1:0"],
        &env,
    );
    let addr = serve.wait_for_listening().await;
    // Without keys it must say that the API is open to this machine.
    serve
        .wait_for_log("no API keys configured", Duration::from_secs(1))
        .await;
    (serve, format!("http://{addr}"))
}
