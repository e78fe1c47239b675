//! The client against a small fake coordinator served on loopback: what it sends, and how
//! each kind of answer reads to the user.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use clap::{CommandFactory, Parser};
use serde_json::{json, Value};

use super::*;

const KEY: &str = "test-key";
const JOB: &str = "0190f0e0-0000-7000-8000-000000000001";
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: ClientCommand,
}

#[derive(Default)]
struct Fake {
    submitted: Vec<(HeaderMap, Value)>,
    status_polls: u32,
    /// Polls answered `running` before the job reports `final_state`.
    running_polls: u32,
    final_state: &'static str,
}

type Shared = Arc<Mutex<Fake>>;

fn error(status: StatusCode, field: Option<&str>, message: &str) -> Response {
    (
        status,
        Json(json!({"error": {"field": field, "message": message}})),
    )
        .into_response()
}

fn status_json(state: &str, completed: u64) -> Value {
    json!({
        "jobId": JOB, "jobState": state, "startUrl": "http://site.test/",
        "completed": completed, "failed": 0, "cancelled": 0,
        "pending": if state == "running" { 2 } else { 0 },
        "jobCost": completed, "crawlBudget": 50, "meta": null, "createdAt": 1_000,
    })
}

fn authorised(headers: &HeaderMap) -> bool {
    headers.get("x-api-key").is_some_and(|key| key == KEY)
}

async fn submit(
    State(fake): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if !authorised(&headers) {
        return error(StatusCode::UNAUTHORIZED, Some("api_key"), "unknown API key");
    }
    if body["url_regexp_include"] == "(" {
        return error(
            StatusCode::BAD_REQUEST,
            Some("url_regexp_include"),
            "regex parse error: unclosed group",
        );
    }
    fake.lock().unwrap().submitted.push((headers, body));
    let mut answer = status_json("running", 0);
    answer["statusUrl"] = json!(format!("http://coordinator.test/v1/crawls/{JOB}"));
    answer["webhookSecret"] = json!(SECRET);
    (StatusCode::CREATED, Json(answer)).into_response()
}

async fn status(
    State(fake): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !authorised(&headers) {
        return error(StatusCode::UNAUTHORIZED, Some("api_key"), "unknown API key");
    }
    if id != JOB {
        return error(StatusCode::NOT_FOUND, None, "no such job");
    }
    let mut fake = fake.lock().unwrap();
    fake.status_polls += 1;
    let polls = u64::from(fake.status_polls);
    if fake.status_polls <= fake.running_polls {
        Json(status_json("running", polls)).into_response()
    } else {
        Json(status_json(fake.final_state, polls)).into_response()
    }
}

/// Serves the fake on a free loopback port and answers its base URL.
async fn fake_coordinator(running_polls: u32, final_state: &'static str) -> (String, Shared) {
    let fake: Shared = Arc::new(Mutex::new(Fake {
        running_polls,
        final_state,
        ..Fake::default()
    }));
    let app = Router::new()
        .route("/v1/crawls", post(submit))
        .route("/v1/crawls/{id}", get(status).delete(status))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), fake)
}

/// Parses a command line as `crawler` would and runs it, answering the exit status and
/// what was printed.
async fn run_cli(args: &[&str]) -> (Result<u8, ClientError>, String) {
    let cli = Cli::try_parse_from(std::iter::once("crawler").chain(args.iter().copied()))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut out = Vec::new();
    let result = execute(cli.command, &mut out, Duration::from_millis(10)).await;
    (result, String::from_utf8(out).unwrap())
}

#[test]
fn command_line_definition_is_consistent() {
    Cli::command().debug_assert();
}

#[tokio::test]
async fn submit_sends_the_job_as_json_with_the_key() {
    let (api, fake) = fake_coordinator(0, "finished").await;
    let (result, out) = run_cli(&[
        "submit",
        "http://site.test/",
        "--max-depth",
        "2",
        "--budget",
        "50",
        "--include",
        "/docs/",
        "--exclude",
        "\\.pdf$",
        "--webhook",
        "http://hook.test/in",
        "--webhook-secret",
        SECRET,
        "--events",
        "crawl.page,crawl.finished",
        "--meta",
        r#"{"team":"docs"}"#,
        "--api",
        &api,
        "--api-key",
        KEY,
    ])
    .await;
    assert_eq!(result, Ok(0));
    let fake = fake.lock().unwrap();
    let (headers, body) = &fake.submitted[0];
    assert_eq!(headers["x-api-key"], KEY);
    assert_eq!(
        *body,
        json!({
            "start_url": "http://site.test/", "max_depth": 2, "crawl_budget": 50,
            "url_regexp_include": "/docs/", "url_regexp_exclude": "\\.pdf$",
            "meta": {"team": "docs"},
            "callback": {
                "type": "webhook", "url": "http://hook.test/in", "secret": SECRET,
                "events": ["crawl.page", "crawl.finished"],
            },
        })
    );
    assert!(out.contains(&format!("jobId: {JOB}\n")), "{out}");
    assert!(
        out.contains(&format!(
            "statusUrl: http://coordinator.test/v1/crawls/{JOB}\n"
        )),
        "{out}"
    );
    assert!(out.contains(&format!("webhookSecret: {SECRET}\n")), "{out}");
}

#[tokio::test]
async fn flags_override_the_job_file() {
    let (api, fake) = fake_coordinator(0, "finished").await;
    let file = tempfile::NamedTempFile::new().unwrap();
    let job = json!({"start_url": "http://old.test/", "max_depth": 5, "scope": "domain",
                     "callback": {"type": "webhook", "url": "http://hook.test/", "headers": {"x-t": "1"}}});
    std::fs::write(file.path(), job.to_string()).unwrap();
    let path = file.path().to_str().unwrap();
    let (result, _) = run_cli(&[
        "submit",
        "http://new.test/",
        "--max-depth",
        "1",
        "--json-file",
        path,
        "--events",
        "crawl.finished",
        "--api",
        &api,
        "--api-key",
        KEY,
    ])
    .await;
    assert_eq!(result, Ok(0));
    let body = fake.lock().unwrap().submitted[0].1.clone();
    assert_eq!(body["start_url"], "http://new.test/");
    assert_eq!(body["max_depth"], 1);
    assert_eq!(body["scope"], "domain");
    assert_eq!(body["callback"]["headers"]["x-t"], "1");
    assert_eq!(body["callback"]["events"], json!(["crawl.finished"]));
}

#[tokio::test]
async fn a_refused_job_is_one_line_naming_the_field() {
    let (api, fake) = fake_coordinator(0, "finished").await;
    let (result, _) = run_cli(&[
        "submit",
        "http://site.test/",
        "--include",
        "(",
        "--api",
        &api,
        "--api-key",
        KEY,
    ])
    .await;
    let line = result.unwrap_err().to_string();
    assert_eq!(line, "--include: regex parse error: unclosed group");
    assert!(fake.lock().unwrap().submitted.is_empty());
}

#[tokio::test]
async fn an_unreachable_coordinator_says_where_and_what_to_do() {
    // A port that was just free and is now closed refuses connections.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let api = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let (result, _) = run_cli(&["status", JOB, "--api", &api]).await;
    assert_eq!(
        result.unwrap_err().to_string(),
        format!(
            "cannot reach the coordinator at {api}: connection refused; is it running? (crawler serve starts one)"
        )
    );
}

#[tokio::test]
async fn a_wrong_key_and_an_unknown_job_read_plainly() {
    let (api, _) = fake_coordinator(0, "cancelled").await;
    let (result, _) = run_cli(&["status", JOB, "--api", &api, "--api-key", "nope"]).await;
    assert_eq!(
        result.unwrap_err().to_string(),
        "the coordinator refused the API key; pass --api-key or set CRAWLER_API_KEY"
    );
    let (result, _) = run_cli(&[
        "cancel",
        "0190f0e0-0000-7000-8000-00000000ffff",
        "--api",
        &api,
        "--api-key",
        KEY,
    ])
    .await;
    assert_eq!(
        result.unwrap_err().to_string(),
        "no job 0190f0e0-0000-7000-8000-00000000ffff"
    );
    let (result, out) = run_cli(&["cancel", JOB, "--api", &api, "--api-key", KEY]).await;
    assert_eq!(result, Ok(0));
    assert!(out.contains("state      cancelled\n"), "{out}");
}

#[tokio::test]
async fn status_prints_a_readable_block() {
    let (api, _) = fake_coordinator(5, "finished").await;
    let (result, out) = run_cli(&["status", JOB, "--api", &api, "--api-key", KEY]).await;
    assert_eq!(result, Ok(0));
    assert!(out.contains("state      running\n"), "{out}");
    assert!(
        out.contains("pages      1 completed, 0 failed, 0 cancelled, 2 pending\n"),
        "{out}"
    );
    assert!(out.contains("cost       1 of 50 credits\n"), "{out}");
}

#[tokio::test]
async fn watch_ends_when_the_job_finishes() {
    let (api, fake) = fake_coordinator(3, "finished").await;
    let (result, _) = run_cli(&["watch", JOB, "--api", &api, "--api-key", KEY]).await;
    assert_eq!(result, Ok(0));
    assert_eq!(fake.lock().unwrap().status_polls, 4, "polled past the end");
}

#[tokio::test]
async fn watching_a_cancelled_job_exits_3() {
    let (api, _) = fake_coordinator(1, "cancelled").await;
    let (result, _) = run_cli(&[
        "submit",
        "http://site.test/",
        "--watch",
        "--api",
        &api,
        "--api-key",
        KEY,
    ])
    .await;
    assert_eq!(result, Ok(3));
}
