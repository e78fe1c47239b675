//! One distributed run: a coordinator, K fetcher workers and a webhook dispatcher as
//! separate processes over the RabbitMQ and Redis on loopback, in a namespace of their own,
//! crawling the generated site and delivering every page event to a loopback receiver.

use std::time::{Duration, Instant};

use anyhow::Context;
use crawler_testkit::cluster::{Cluster, Deployment};
use crawler_testkit::process::{RoleProcess, START_TIMEOUT};
use crawler_testkit::services;
use crawler_testkit::site::{SiteGraph, TestSite};
use serde_json::{json, Value};

use crate::args::Args;
use crate::cleanup;
use crate::context;
use crate::outcome::{is_summary, warnings_in, FetchCounts, RunOutcome, WebhookCounts};
use crate::sampler::Sampler;
use crate::site_plan::SitePlan;
use crawler_testkit::receiver::Receiver;

/// How often the job's status is polled; it bounds the precision of the wall time.
const STATUS_POLL: Duration = Duration::from_millis(50);
/// How long the summary webhook may lag behind the job's end before it counts as lost.
const SUMMARY_GRACE: Duration = Duration::from_secs(30);

/// Every process of the deployment with the name the report gives it.
fn named(cluster: &Cluster) -> Vec<(String, &RoleProcess)> {
    let mut processes = vec![("coordinator".to_string(), &cluster.coordinator)];
    for (n, worker) in cluster.workers.iter().enumerate() {
        processes.push((format!("worker-{n}"), worker));
    }
    for dispatcher in &cluster.dispatchers {
        processes.push(("dispatcher".to_string(), dispatcher));
    }
    processes
}

fn names_and_pids(cluster: &Cluster) -> Vec<(String, u32)> {
    named(cluster)
        .into_iter()
        .map(|(name, process)| (name, process.id()))
        .collect()
}

pub async fn run(args: &Args, graph: &SiteGraph, workers: usize) -> anyhow::Result<RunOutcome> {
    let site = TestSite::serve(graph.clone()).await;
    let plan = SitePlan::of(graph, &site, args.max_depth);
    let receiver = Receiver::start().await;
    let settings = args.crawler_settings();
    let settings: Vec<(&str, String)> = settings
        .iter()
        .map(|(name, value)| (name.as_str(), value.clone()))
        .collect();
    let cluster = Cluster::start(
        args.binaries(),
        Deployment::Distributed { workers },
        &settings,
    )
    .await;
    // Timing starts once every role consumes, so start-up is not counted as crawling.
    for worker in &cluster.workers {
        worker
            .wait_for_log("fetcher worker consuming", START_TIMEOUT)
            .await;
    }
    for dispatcher in &cluster.dispatchers {
        dispatcher
            .wait_for_log("webhook dispatcher consuming", START_TIMEOUT)
            .await;
    }

    let sampler = Sampler::start(&names_and_pids(&cluster), args.sample_interval());
    let context_sampler = Sampler::start(&context::processes(), args.sample_interval());
    let started = Instant::now();
    let job = submit(&cluster, &site, &receiver, plan.max_depth).await?;
    let mut problems = Vec::new();
    let status = wait_until_ended(&cluster, &job, started, args.timeout()).await;
    let wall = started.elapsed();
    if status["jobState"] != "finished" {
        problems.push(format!(
            "the job did not finish within {:?}; last status: {status}",
            args.timeout()
        ));
    }
    let summary_after = wait_for_summary(&receiver, started, wall + SUMMARY_GRACE).await;
    let processes = sampler.finish().await;
    let context = context_sampler.finish().await;

    let completed = status["completed"].as_u64().unwrap_or(0);
    let failed = status["failed"].as_u64().unwrap_or(0);
    let pages = completed + failed;
    if failed > 0 {
        problems.push(format!(
            "{failed} pages failed; the generated site has no failing page"
        ));
    }
    if pages != plan.page_count() as u64 {
        problems.push(format!(
            "the job reported {pages} pages ({failed} failed); the site has {}",
            plan.page_count()
        ));
    }
    let fetches = FetchCounts::of(&site, &plan.expected);
    let webhooks = receiver.with_received(|d| WebhookCounts::of(d, summary_after));
    if webhooks.pages != plan.page_count() || webhooks.summaries != 1 {
        problems.push(format!(
            "webhooks: {} distinct page events for {} pages and {} summaries within {:?} \
             of the job's end",
            webhooks.pages,
            plan.page_count(),
            webhooks.summaries,
            SUMMARY_GRACE
        ));
    }
    problems.extend(plan.fetch_problems(&fetches));
    problems.extend(receiver.with_received(|d| plan.depth_problem(d)));
    for (role, process) in named(&cluster) {
        let warnings = warnings_in(&process.logs());
        if let Some(first) = warnings.first() {
            problems.push(format!(
                "{role} (pid {}) logged {} warning/error lines; first: {first}",
                process.id(),
                warnings.len()
            ));
        }
    }
    let namespace = cluster.namespace.clone();
    drop(cluster);
    if let Err(e) = cleanup::delete_namespace(&services::redis_url(), &namespace).await {
        eprintln!("crawler-bench: could not delete this run's Redis keys ({namespace}:*): {e:#}");
    }
    Ok(RunOutcome {
        label: format!(
            "distributed, {workers} worker{}",
            if workers == 1 { "" } else { "s" }
        ),
        pages,
        wall,
        round_walls: vec![wall],
        webhooks: Some(webhooks),
        processes,
        context,
        problems,
    })
}

async fn submit(
    cluster: &Cluster,
    site: &TestSite,
    receiver: &Receiver,
    max_depth: u32,
) -> anyhow::Result<String> {
    let answer = cluster
        .submit(json!({
            "start_url": site.url("/"),
            "max_depth": max_depth,
            "callback": {
                "type": "webhook",
                "url": receiver.url(),
                "events": ["crawl.page", "crawl.finished"],
            },
            "meta": {"bench": true},
        }))
        .await;
    answer["jobId"]
        .as_str()
        .map(str::to_string)
        .with_context(|| format!("no jobId in {answer}"))
}

/// Polls the job's status until it is no longer running, or `timeout` passes.
async fn wait_until_ended(
    cluster: &Cluster,
    job: &str,
    started: Instant,
    timeout: Duration,
) -> Value {
    loop {
        let status = cluster.status(job).await;
        if status["jobState"] != "running" || started.elapsed() > timeout {
            return status;
        }
        tokio::time::sleep(STATUS_POLL).await;
    }
}

/// When (since `started`) the summary webhook arrived, if it did before `deadline`.
async fn wait_for_summary(
    receiver: &Receiver,
    started: Instant,
    deadline: Duration,
) -> Option<Duration> {
    loop {
        let arrived = receiver.with_received(|deliveries| {
            deliveries
                .iter()
                .find(|d| is_summary(&d.body))
                .map(|d| d.at.duration_since(started))
        });
        if arrived.is_some() || started.elapsed() > deadline {
            return arrived;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
