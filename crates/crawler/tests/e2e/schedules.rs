//! Stored schedules started by the real roles: the scheduler inside the coordinator and a
//! `scheduler` role beside it, over one Redis namespace, start a due run exactly once, as a
//! job of the schedule's owner that crawls like any other.

use std::time::Duration;

use crawler_core::time::now_ms;
use crawler_core::{ApiParams, JobSpec, Scope};
use crawler_scheduler::{RunOutcome, Schedule, ScheduleBackend, ScheduleStore, Trigger};
use crawler_testkit::cluster::{Cluster, Deployment, API_KEY};
use crawler_testkit::services;
use crawler_testkit::site::{PageKind, SiteGraph, TestSite};

use crate::beside_others;

// Scheduled crawls driven through the API, on both deployments.
mod api;

const HOUR_MS: u64 = 3_600_000;

fn crawl_of(start_url: String) -> JobSpec {
    JobSpec {
        kind: Default::default(),
        start_url,
        urls: Vec::new(),
        url_regexp_include: ".*".into(),
        url_regexp_exclude: None,
        max_depth: Some(3),
        crawl_budget: None,
        api_params: ApiParams {
            follow_redirect: true,
            ..ApiParams::default()
        },
        callback: None,
        webhook_name: None,
        tenant: Default::default(),
        meta: serde_json::json!({"from": "schedule"}),
        timeout_sec: 600,
        scope: Scope::Host,
        follow_nofollow: false,
        ignore_query_parameters: false,
        max_pages_per_host: None,
        respect_robots_txt: true,
        name: None,
        custom_id: None,
        async_job: None,
    }
}

/// Waits until the schedule has recorded `n` runs, and returns them.
async fn wait_for_runs(
    store: &dyn ScheduleStore,
    schedule: &Schedule,
    n: usize,
) -> Vec<crawler_scheduler::Run> {
    for _ in 0..300 {
        let runs = store.runs(schedule.id).await.expect("read the runs");
        if runs.len() >= n {
            return runs;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the schedule never recorded {n} run(s)");
}

#[tokio::test]
async fn a_due_run_starts_once_beside_a_scheduler_role_and_crawls_like_a_job() {
    let _machine = beside_others().await;
    let site = TestSite::serve(
        SiteGraph::default()
            .page("/", PageKind::Html(vec!["/a".into(), "/b".into()]))
            .page("/a", PageKind::Html(vec!["/b".into()]))
            .page("/b", PageKind::Html(Vec::new())),
    )
    .await;
    let fast_ticks = [
        ("CRAWLER_SCHEDULER_TICK_MS", "100".to_string()),
        ("CRAWLER_SCHEDULER_LEASE_MS", "1000".to_string()),
    ];
    let mut cluster = Cluster::start(
        crawler_testkit::binaries!(),
        Deployment::Distributed { workers: 1 },
        &fast_ticks,
    )
    .await;
    cluster.add_scheduler();
    let store = crawler_scheduler::connect(
        &ScheduleBackend::Redis {
            url: services::redis_url(),
        },
        &cluster.namespace,
    )
    .await
    .expect("the schedule store on the test Redis");

    // Created an hour ago with an hourly interval: due now, and next due in an hour.
    let owner = crawler_coordinator::auth::owner_of(API_KEY);
    let schedule = Schedule::new(
        owner,
        "hourly docs",
        crawl_of(site.url("/")),
        Trigger::Interval { every_ms: HOUR_MS },
        now_ms() - HOUR_MS,
    );
    let due = schedule.next_run_ms.expect("an enabled schedule is due");
    store.put(&schedule).await.expect("store the schedule");

    let runs = wait_for_runs(store.as_ref(), &schedule, 1).await;
    let RunOutcome::Started { job_id } = &runs[0].outcome else {
        panic!("the run did not start: {:?}", runs[0]);
    };
    assert_eq!(runs[0].due_at_ms, due);

    // The run is a job of the schedule's owner, visible through the API, crawling the site.
    let job = job_id.to_string();
    let mut status = cluster.status(&job).await;
    for _ in 0..200 {
        if status["jobState"] != "running" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        status = cluster.status(&job).await;
    }
    assert_eq!(status["jobState"], "finished", "{status}");
    assert_eq!(status["completed"], 3);
    assert_eq!(status["meta"]["from"], "schedule");

    // Many ticks of two schedulers later, still one run and one job; the next is in an hour.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(store.runs(schedule.id).await.unwrap().len(), 1);
    let (code, listing) = cluster.get("/v1/crawls").await;
    assert_eq!(code, 200);
    assert_eq!(listing["total"], 1, "{listing}");
    let stored = store.get(schedule.id).await.unwrap().expect("the schedule");
    assert_eq!(stored.next_run_ms, Some(due + HOUR_MS));
}

#[tokio::test]
async fn disabling_through_the_api_stops_due_runs_and_delete_removes_the_schedule() {
    let _machine = beside_others().await;
    let site = TestSite::serve(SiteGraph::default().page("/", PageKind::Html(Vec::new()))).await;
    let fast_ticks = [
        ("CRAWLER_SCHEDULER_TICK_MS", "100".to_string()),
        ("CRAWLER_SCHEDULER_LEASE_MS", "1000".to_string()),
    ];
    let cluster = Cluster::start(
        crawler_testkit::binaries!(),
        Deployment::Distributed { workers: 1 },
        &fast_ticks,
    )
    .await;
    let store = crawler_scheduler::connect(
        &ScheduleBackend::Redis {
            url: services::redis_url(),
        },
        &cluster.namespace,
    )
    .await
    .expect("the schedule store on the test Redis");
    // Due every half second, so the real scheduler starts runs while the test watches; no
    // user-facing interval is that short, so it is stored directly.
    const EVERY_MS: u64 = 500;
    let owner = crawler_coordinator::auth::owner_of(API_KEY);
    let schedule = Schedule::new(
        owner,
        "every half second",
        crawl_of(site.url("/")),
        Trigger::Interval { every_ms: EVERY_MS },
        now_ms() - EVERY_MS,
    );
    store.put(&schedule).await.expect("store the schedule");
    let path = format!("/v1/schedules/{}", schedule.id);

    wait_for_runs(store.as_ref(), &schedule, 2).await;
    let (code, disabled) = cluster
        .patch(&path, serde_json::json!({"enabled": false}))
        .await;
    assert_eq!(code, 200, "{disabled}");
    let disabled_at = now_ms();
    // Five due times later, no run is for a time after the disable.
    tokio::time::sleep(Duration::from_millis(5 * EVERY_MS)).await;
    let (_, read) = cluster.get(&path).await;
    assert_eq!(read["enabled"], false, "{read}");
    let runs = read["runs"].as_array().expect("runs");
    assert!(runs.len() >= 2, "{read}");
    for run in runs {
        let due = run["dueAt"].as_u64().expect("dueAt");
        assert!(due < disabled_at, "a run due after the disable: {read}");
    }
    let stored = store.get(schedule.id).await.unwrap().expect("kept");
    assert!(!stored.enabled && !stored.is_indexed());

    let (code, _) = cluster.delete(&path).await;
    assert_eq!(code, 204);
    assert_eq!(cluster.get(&path).await.0, 404);
    assert_eq!(store.get(schedule.id).await.unwrap(), None);
    assert_eq!(store.runs(schedule.id).await.unwrap(), vec![]);
}
