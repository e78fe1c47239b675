//! The soak: a 10,000-page site crawled by two workers through every failure at once.
//! A worker is killed with SIGKILL five times (a fresh one takes its place each time), the
//! dispatcher twice, RabbitMQ and Redis are restarted once each, the receiver fails the
//! first attempt of half the events and is down for two minutes. Every page event must
//! still be delivered, each URL under one event id, with one summary whose cost is the
//! completed pages.
//!
//! It takes about ten minutes, so CI does not run it: `scripts/soak` does, and prints the
//! counts it checked.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use crawler_testkit::cluster::{Cluster, Deployment};
use crawler_testkit::receiver::{Behaviour, Received, Receiver};
use crawler_testkit::site::{SiteGraph, TestSite};
use serde_json::json;

use crate::crawl_restarts::restart;
use crate::support::{completed_urls, events_of, pages_by_url, summary_of, wait_summary};

const PAGES: usize = 10_000;
const RECEIVER_DOWN: Duration = Duration::from_secs(120);

/// What the chaos does, and at what share of the crawl's pages done.
#[derive(Debug, Clone, Copy)]
enum Blow {
    KillWorker,
    KillDispatcher,
    RestartRabbitMq,
    RestartRedis,
    ReceiverDown,
}

const PLAN: [(f64, Blow); 10] = [
    (0.05, Blow::KillWorker),
    (0.10, Blow::ReceiverDown),
    (0.15, Blow::KillWorker),
    (0.20, Blow::KillDispatcher),
    (0.30, Blow::RestartRabbitMq),
    (0.40, Blow::KillWorker),
    (0.50, Blow::RestartRedis),
    (0.60, Blow::KillDispatcher),
    (0.70, Blow::KillWorker),
    (0.80, Blow::KillWorker),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a ten-minute soak; run it with scripts/soak"]
async fn a_crawl_through_kills_restarts_and_a_down_receiver_loses_nothing() {
    let _serial = crate::one_at_a_time().await;
    let started = Instant::now();
    // Paced so the crawl lasts minutes, long enough for every blow to land mid-crawl.
    let site = TestSite::serve_slowly(SiteGraph::generated(PAGES), Duration::from_millis(30)).await;
    let mut receiver = Receiver::start_with(Behaviour::FailFirstOfHalf).await;
    let settings = [
        ("CRAWLER_WORKER_CONCURRENCY", "8".to_string()),
        ("CRAWLER_METRICS_ADDR", "127.0.0.1:0".to_string()),
        // Retries that outlast the receiver's two minutes down.
        (
            "CRAWLER_WEBHOOK_RETRY_SCHEDULE",
            "5s,15s,30s,1m,2m,5m".to_string(),
        ),
        // The default (100 failures in a row) disables the endpoint during the outage and
        // dead-letters the events behind it; an operator expecting outages raises it too.
        ("CRAWLER_WEBHOOK_DISABLE_AFTER", "1000000".to_string()),
    ];
    let mut cluster = Cluster::start(
        crawler_testkit::binaries!(),
        Deployment::Distributed { workers: 2 },
        &settings,
    )
    .await;
    let job = cluster
        .submit(json!({
            "start_url": site.url("/"),
            "max_depth": 50,
            "callback": {"type": "webhook", "url": receiver.url()},
        }))
        .await["jobId"]
        .as_str()
        .expect("jobId")
        .to_string();

    let mut counts = Counts::default();
    let mut plan = PLAN.iter().peekable();
    let mut back_at: Option<Instant> = None;
    while plan.peek().is_some() || back_at.is_some() {
        let (done, ended) = progress(&cluster, &job).await;
        if let Some(&&(share, blow)) = plan.peek() {
            if ended || done >= share * (PAGES + 1) as f64 {
                plan.next();
                eprintln!("soak: {blow:?} at {done} pages done");
                match blow {
                    Blow::ReceiverDown => {
                        receiver.go_down().await;
                        back_at = Some(Instant::now() + RECEIVER_DOWN);
                    }
                    other => strike(&mut cluster, other, &mut counts).await,
                }
            }
        }
        if back_at.is_some_and(|at| Instant::now() >= at) {
            receiver.come_back().await;
            back_at = None;
            counts.receiver_outages += 1;
            eprintln!("soak: receiver back");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    let received = wait_summary(&receiver, &job, Duration::from_secs(20 * 60)).await;
    let summary = summary_of(&received, &job);
    let expected: BTreeSet<String> = std::iter::once(site.url("/"))
        .chain((0..PAGES).map(|i| site.url(&format!("/p/{i}"))))
        .collect();
    assert_eq!(summary["jobState"], "finished");
    assert_eq!(summary["stopReason"], "exhausted");
    assert_eq!(completed_urls(&summary), expected, "completed pages");
    assert_eq!(summary["jobCost"], expected.len(), "cost = completed pages");
    // Two ids for one URL fail here, over every attempt the receiver saw.
    let pages = pages_by_url(&received, &job);
    assert_eq!(
        pages.keys().cloned().collect::<BTreeSet<_>>(),
        expected,
        "a page event for every page"
    );
    let delivered = delivered_page_urls(&received, &job);
    assert_eq!(
        delivered, expected,
        "every page event accepted by the receiver"
    );

    let summary_attempts = events_of(&received, &job, "crawl.finished");
    let summary_ids: BTreeSet<&str> = summary_attempts
        .iter()
        .filter_map(|r| r.header("webhook-id"))
        .collect();
    let page_attempts = events_of(&received, &job, "crawl.page").len();
    println!(
        "soak: {} pages in {:.0} s; {} page events delivered ({} attempts, {} refused by the \
         receiver), {} summary ({} delivery attempt(s)); jobCost {}; worker kills {}, \
         dispatcher kills {}, RabbitMQ restarts {}, Redis restarts {}, receiver outages {} \
         of {} s",
        expected.len(),
        started.elapsed().as_secs_f64(),
        delivered.len(),
        page_attempts,
        received
            .iter()
            .filter(|r| r.status >= 400 && r.json()["event"] == "crawl.page")
            .count(),
        summary_ids.len(),
        summary_attempts.len(),
        summary["jobCost"],
        counts.worker_kills,
        counts.dispatcher_kills,
        counts.rabbitmq_restarts,
        counts.redis_restarts,
        counts.receiver_outages,
        RECEIVER_DOWN.as_secs(),
    );
}

#[derive(Debug, Default)]
struct Counts {
    worker_kills: usize,
    dispatcher_kills: usize,
    rabbitmq_restarts: usize,
    redis_restarts: usize,
    receiver_outages: usize,
}

/// Pages done (completed or failed) so far, and whether the job ended. While Redis is
/// down the coordinator cannot say: that reads as no progress.
async fn progress(cluster: &Cluster, job: &str) -> (f64, bool) {
    let (status, body) = cluster.get(&format!("/v1/crawls/{job}")).await;
    if status != 200 {
        return (0.0, false);
    }
    let done = body["completed"].as_u64().unwrap_or(0) + body["failed"].as_u64().unwrap_or(0);
    (done as f64, body["jobState"] != "running")
}

async fn strike(cluster: &mut Cluster, blow: Blow, counts: &mut Counts) {
    match blow {
        Blow::KillWorker => {
            // The oldest worker still alive goes; a fresh one keeps two running.
            let victim = counts.worker_kills;
            cluster.workers[victim].kill();
            cluster.add_worker();
            counts.worker_kills += 1;
        }
        Blow::KillDispatcher => {
            let victim = counts.dispatcher_kills;
            cluster.dispatchers[victim].kill();
            cluster.add_dispatcher();
            counts.dispatcher_kills += 1;
        }
        Blow::RestartRabbitMq => {
            restart("restart-rabbitmq", 10).await;
            counts.rabbitmq_restarts += 1;
        }
        Blow::RestartRedis => {
            restart("restart-redis", 5).await;
            counts.redis_restarts += 1;
        }
        Blow::ReceiverDown => unreachable!("the receiver is taken down by the loop"),
    }
}

/// The URLs whose page event the receiver accepted (answered 2xx).
fn delivered_page_urls(received: &[Received], job: &str) -> BTreeSet<String> {
    events_of(received, job, "crawl.page")
        .into_iter()
        .filter(|r| (200..300).contains(&r.status))
        .filter_map(|r| r.json()["url"].as_str().map(str::to_string))
        .collect()
}
