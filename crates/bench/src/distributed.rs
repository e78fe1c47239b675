//! One distributed run: a coordinator, K fetcher workers and a webhook dispatcher as
//! separate processes over the RabbitMQ and Redis on loopback, in a namespace of their own,
//! crawling the generated site and delivering every page event to a loopback receiver.

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
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

const API_KEY: &str = "bench-key";

/// How often the job's status is polled; it bounds the precision of the wall time.
const STATUS_POLL: Duration = Duration::from_millis(50);

/// How long the summary webhook may lag behind the job's end before it counts as lost.
const SUMMARY_GRACE: Duration = Duration::from_secs(30);

/// The processes of one deployment; dropping it kills them.
struct Roles {
    coordinator: RoleProcess,
    workers: Vec<RoleProcess>,
    dispatcher: RoleProcess,
}

impl Roles {
    /// Every process with the name the report gives it.
    fn named(&self) -> Vec<(String, &RoleProcess)> {
        let mut processes = vec![("coordinator".to_string(), &self.coordinator)];
        for (n, worker) in self.workers.iter().enumerate() {
            processes.push((format!("worker-{n}"), worker));
        }
        processes.push(("dispatcher".to_string(), &self.dispatcher));
        processes
    }

    fn names_and_pids(&self) -> Vec<(String, u32)> {
        self.named()
            .into_iter()
            .map(|(name, process)| (name, process.id()))
            .collect()
    }
}

pub async fn run(args: &Args, graph: &SiteGraph, workers: usize) -> anyhow::Result<RunOutcome> {
    let site = TestSite::serve(graph.clone()).await;
    let plan = SitePlan::of(graph, &site, args.max_depth);
    let receiver = Receiver::start().await;
    services::require_services().await;

    let namespace = format!("bench-{}", uuid::Uuid::new_v4().simple());
    let mut env: Vec<(String, String)> = vec![
        ("CRAWLER_API_KEYS".into(), API_KEY.into()),
        ("CRAWLER_ALLOW_PRIVATE_NETWORKS".into(), "true".into()),
        ("CRAWLER_HTTP_ADDR".into(), "127.0.0.1:0".into()),
    ];
    env.extend(services::role_env(&namespace));
    env.extend(args.crawler_settings());
    let roles = Roles {
        coordinator: RoleProcess::spawn("coordinator", args.binary("coordinator"), &env),
        workers: (0..workers)
            .map(|n| {
                RoleProcess::spawn(&format!("worker-{n}"), args.binary("fetcher-worker"), &env)
            })
            .collect(),
        dispatcher: RoleProcess::spawn("dispatcher", args.binary("webhook-dispatcher"), &env),
    };
    let api = format!("http://{}", roles.coordinator.wait_for_listening().await);
    let client = reqwest::Client::new();
    wait_ready(&client, &api).await?;
    // Timing starts once every role consumes, so start-up is not counted as crawling.
    for worker in &roles.workers {
        worker
            .wait_for_log("fetcher worker consuming", START_TIMEOUT)
            .await;
    }
    roles
        .dispatcher
        .wait_for_log("webhook dispatcher consuming", START_TIMEOUT)
        .await;

    let sampler = Sampler::start(&roles.names_and_pids(), args.sample_interval());
    let context_sampler = Sampler::start(&context::processes(), args.sample_interval());
    let started = Instant::now();
    let job = submit(&client, &api, &site, &receiver, plan.max_depth).await?;
    let mut problems = Vec::new();
    let status = wait_until_ended(&client, &api, &job, started, args.timeout()).await?;
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
    for (role, process) in roles.named() {
        let warnings = warnings_in(&process.logs());
        if let Some(first) = warnings.first() {
            problems.push(format!(
                "{role} (pid {}) logged {} warning/error lines; first: {first}",
                process.id(),
                warnings.len()
            ));
        }
    }
    drop(roles);
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

async fn wait_ready(client: &reqwest::Client, api: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + START_TIMEOUT;
    while Instant::now() < deadline {
        if let Ok(response) = client.get(format!("{api}/readyz")).send().await {
            if response.status().is_success() {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("the coordinator at {api} was not ready within {START_TIMEOUT:?}")
}

async fn submit(
    client: &reqwest::Client,
    api: &str,
    site: &TestSite,
    receiver: &Receiver,
    max_depth: u32,
) -> anyhow::Result<String> {
    let body = json!({
        "start_url": site.url("/"),
        "max_depth": max_depth,
        "callback": {
            "type": "webhook",
            "url": receiver.url(),
            "events": ["crawl.page", "crawl.finished"],
        },
        "meta": {"bench": true},
    });
    let response = client
        .post(format!("{api}/v1/crawls"))
        .header("x-api-key", API_KEY)
        .json(&body)
        .send()
        .await
        .context("submitting the job")?;
    let status = response.status();
    let answer: Value = response.json().await.context("the submit answer")?;
    if status.as_u16() != 201 {
        bail!("the job was refused ({status}): {answer}");
    }
    answer["jobId"]
        .as_str()
        .map(str::to_string)
        .with_context(|| format!("no jobId in {answer}"))
}

/// Polls the job's status until it is no longer running, or `timeout` passes.
async fn wait_until_ended(
    client: &reqwest::Client,
    api: &str,
    job: &str,
    started: Instant,
    timeout: Duration,
) -> anyhow::Result<Value> {
    loop {
        let status: Value = client
            .get(format!("{api}/v1/crawls/{job}"))
            .header("x-api-key", API_KEY)
            .send()
            .await
            .context("polling the job's status")?
            .json()
            .await
            .context("the job's status")?;
        if status["jobState"] != "running" || started.elapsed() > timeout {
            return Ok(status);
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
