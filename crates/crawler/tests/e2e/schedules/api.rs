//! Scheduled crawls as a user drives them, over the API of both deployments: submitted
//! with a `schedule`, run now, listed with their runs' jobs and states, disabled, enabled
//! again, deleted. Every run is a new crawl of the same spec that finishes and calls the
//! webhook.

use std::time::Duration;

use crawler_testkit::cluster::{Cluster, Deployment};
use crawler_testkit::receiver::Receiver;
use crawler_testkit::site::{PageKind, SiteGraph, TestSite};
use serde_json::{json, Value};

use crate::beside_others;
use crate::support::{summary_of, wait_summary};

const DAY_MS: u64 = 86_400_000;

fn settings() -> Vec<(&'static str, String)> {
    vec![
        ("CRAWLER_SCHEDULER_TICK_MS", "100".into()),
        ("CRAWLER_SCHEDULER_LEASE_MS", "1000".into()),
        ("CRAWLER_WEBHOOK_RETRY_SCHEDULE", "100ms,200ms,500ms".into()),
    ]
}

/// Polls the job's status until it is no longer running.
async fn wait_finished(cluster: &Cluster, job: &str) -> Value {
    for _ in 0..1200 {
        let status = cluster.status(job).await;
        if status["jobState"] != "running" {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("job {job} did not finish");
}

/// Polls the schedule until it lists `n` runs, and returns it.
async fn wait_runs(cluster: &Cluster, path: &str, n: usize) -> Value {
    for _ in 0..300 {
        let (code, schedule) = cluster.get(path).await;
        assert_eq!(code, 200, "{schedule}");
        if schedule["runs"].as_array().map_or(0, Vec::len) >= n {
            return schedule;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the schedule never listed {n} run(s)");
}

/// Waits for the job to finish and its summary to arrive; returns its final status.
async fn crawl_of_run(cluster: &Cluster, receiver: &Receiver, job: &str) -> Value {
    let status = wait_finished(cluster, job).await;
    assert_eq!(status["jobState"], "finished", "{status}");
    let received = wait_summary(receiver, job, Duration::from_secs(60)).await;
    assert_eq!(summary_of(&received, job)["jobState"], "finished");
    status
}

pub async fn scheduled_crawls_run_list_disable_and_delete(deployment: Deployment) {
    let _machine = beside_others().await;
    // Slow pages keep each crawl running long enough to overlap a second run.
    let graph = SiteGraph::default()
        .page("/", PageKind::Html(vec!["/a".into()]))
        .page("/a", PageKind::Html(Vec::new()));
    let site = TestSite::serve_slowly(graph, Duration::from_millis(600)).await;
    let receiver = Receiver::start().await;
    let cluster = Cluster::start(crawler_testkit::binaries!(), deployment, &settings()).await;
    let job = |schedule: Value| {
        json!({
            "start_url": site.url("/"),
            "max_depth": 2,
            "meta": {"from": "schedule"},
            "callback": {"type": "webhook", "url": receiver.url()},
            "schedule": schedule,
        })
    };

    // A daily schedule: stored, first due a day after submission, nothing started yet.
    let created = cluster
        .submit(job(json!({"name": "daily docs", "interval": "daily"})))
        .await;
    assert_eq!(created["interval"], "daily", "{created}");
    assert_eq!(created["enabled"], true);
    assert!(created.get("jobId").is_none(), "{created}");
    assert!(created["webhookSecret"].is_string(), "{created}");
    let created_at = created["createdAt"].as_u64().expect("createdAt");
    assert_eq!(created["nextRunAt"].as_u64(), Some(created_at + DAY_MS));
    assert_eq!(created["runs"], json!([]));
    let path = created["url"]
        .as_str()
        .expect("url")
        .replace(&cluster.api, "");

    // Run now: a new crawl; a second run while it is running is skipped, and recorded.
    let (code, first) = cluster.post(&format!("{path}/run"), json!({})).await;
    assert_eq!(code, 201, "{first}");
    let job_a = first["jobId"].as_str().expect("jobId").to_owned();
    let (code, refused) = cluster.post(&format!("{path}/run"), json!({})).await;
    assert_eq!(code, 409, "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("still running")),
        "{refused}"
    );
    let status_a = crawl_of_run(&cluster, &receiver, &job_a).await;
    let (code, second) = cluster.post(&format!("{path}/run"), json!({})).await;
    assert_eq!(code, 201, "{second}");
    let job_b = second["jobId"].as_str().expect("jobId").to_owned();
    assert_ne!(job_a, job_b, "each run is a new crawl");
    let status_b = crawl_of_run(&cluster, &receiver, &job_b).await;
    for field in ["startUrl", "meta", "completed"] {
        assert_eq!(status_a[field], status_b[field], "same spec: {field}");
    }
    assert_eq!(status_b["completed"], 2);

    // The schedule lists its runs, newest first, with their jobs and the jobs' states.
    let (_, listed) = cluster.get(&path).await;
    let runs: Vec<(Value, Value, Value)> = listed["runs"]
        .as_array()
        .expect("runs")
        .iter()
        .map(|r| {
            (
                r["status"].clone(),
                r["jobId"].clone(),
                r["jobState"].clone(),
            )
        })
        .collect();
    assert_eq!(
        runs,
        vec![
            (json!("started"), json!(job_b), json!("finished")),
            (json!("skipped"), Value::Null, Value::Null),
            (json!("started"), json!(job_a), json!("finished")),
        ],
        "{listed}"
    );
    assert_eq!(
        listed["nextRunAt"], created["nextRunAt"],
        "run now keeps the times"
    );

    // Disabled: it keeps its place and starts nothing, not even on request.
    let (code, disabled) = cluster.patch(&path, json!({"enabled": false})).await;
    assert_eq!(
        (code, &disabled["enabled"]),
        (200, &json!(false)),
        "{disabled}"
    );
    let (code, refused) = cluster.post(&format!("{path}/run"), json!({})).await;
    assert_eq!((code, &refused["error"]["field"]), (409, &json!("enabled")));

    // Run-once: enabled, it starts with the submission.
    let once = cluster
        .submit(job(json!({"name": "now", "interval": "once"})))
        .await;
    let job_c = once["jobId"].as_str().expect("a run-once starts at once");
    assert_eq!(once["nextRunAt"], Value::Null, "{once}");
    crawl_of_run(&cluster, &receiver, job_c).await;

    // Run-once disabled: due, but started by the scheduler only once enabled.
    let mut later = job(json!({"name": "later", "interval": "once"}));
    later["enabled"] = json!(false);
    let later = cluster.submit(later).await;
    assert!(later.get("jobId").is_none(), "{later}");
    let later_path = later["url"].as_str().unwrap().replace(&cluster.api, "");
    tokio::time::sleep(Duration::from_millis(1000)).await; // ten scheduler ticks
    let (_, still) = cluster.get(&later_path).await;
    assert_eq!(
        still["runs"],
        json!([]),
        "a disabled schedule started: {still}"
    );
    let (code, enabled) = cluster.patch(&later_path, json!({"enabled": true})).await;
    assert_eq!(code, 200, "{enabled}");
    let ran = wait_runs(&cluster, &later_path, 1).await;
    let job_d = ran["runs"][0]["jobId"]
        .as_str()
        .expect("started")
        .to_owned();
    crawl_of_run(&cluster, &receiver, &job_d).await;
    let (_, ran) = cluster.get(&later_path).await;
    assert_eq!(ran["nextRunAt"], Value::Null, "a run-once runs once: {ran}");
    assert_eq!(ran["runs"].as_array().map(Vec::len), Some(1));

    // Deleted: gone from reads and the list; its crawls stay.
    let (code, _) = cluster.delete(&path).await;
    assert_eq!(code, 204);
    let (code, _) = cluster.get(&path).await;
    assert_eq!(code, 404);
    let (_, list) = cluster.get("/v1/schedules").await;
    let names: Vec<&str> = list["schedules"]
        .as_array()
        .expect("schedules")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(names, vec!["now", "later"], "{list}");
    assert_eq!(cluster.status(&job_a).await["jobState"], "finished");
}

mod distributed {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn scheduled_crawls_run_list_disable_and_delete() {
        let deployment = crawler_testkit::cluster::Deployment::Distributed { workers: 1 };
        super::scheduled_crawls_run_list_disable_and_delete(deployment).await;
    }
}

mod embedded {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn scheduled_crawls_run_list_disable_and_delete() {
        let deployment = crawler_testkit::cluster::Deployment::Embedded;
        super::scheduled_crawls_run_list_disable_and_delete(deployment).await;
    }
}
