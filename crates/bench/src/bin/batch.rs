//! `crawler-bench-batch`: how fast a 50,000-URL batch (`POST /v1/batchjobs`) is accepted,
//! and how fast its pages are fetched, against a crawl of the same site in the same run as
//! the baseline. The site is generated and served on loopback; the crawler runs as the
//! distributed roles (processes over the RabbitMQ and Redis of `scripts/services`) or as
//! `crawler serve`. Nothing here asserts a time: it prints figures.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Parser;
use crawler_testkit::cluster::{Binaries, Cluster, Deployment};
use crawler_testkit::process::START_TIMEOUT;
use crawler_testkit::site::{SiteGraph, TestSite};
use serde_json::{json, Value};

#[derive(Parser, Debug)]
#[command(
    about = "Times accepting a batch of async jobs and fetching it, with a crawl of the same site as the baseline."
)]
struct Args {
    /// Pages of the generated site; the batch holds one URL per page.
    #[arg(long, default_value_t = 50_000)]
    pages: usize,
    /// Bytes of text on every page.
    #[arg(long, default_value_t = 4 * 1024)]
    page_bytes: usize,
    /// Fetcher workers of the distributed deployment.
    #[arg(long, default_value_t = 2)]
    workers: usize,
    /// Run `crawler serve` (in-memory backends) instead of the distributed roles.
    #[arg(long)]
    embedded: bool,
    /// Fetches in flight for the one host (CRAWLER_MAX_CONCURRENCY_PER_HOST); the polite
    /// default would measure the politeness cap.
    #[arg(long, default_value_t = 64)]
    per_host: u32,
    /// Where the crawler's release binaries are.
    #[arg(long, default_value = "target/release")]
    bin_dir: PathBuf,
    /// Leave out the crawl baseline (only the batch runs).
    #[arg(long)]
    no_crawl: bool,
    /// Longest wait for a job to end, in seconds.
    #[arg(long, default_value_t = 1800)]
    timeout_secs: u64,
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let binaries = binaries(&args.bin_dir)?;
    let site = TestSite::serve(SiteGraph::generated_with_text(args.pages, args.page_bytes)).await;
    let settings = [
        (
            "CRAWLER_MAX_CONCURRENCY_PER_HOST",
            args.per_host.to_string(),
        ),
        ("CRAWLER_JOB_TIMEOUT_SEC", args.timeout_secs.to_string()),
        ("CRAWLER_ASYNC_TIMEOUT_SEC", args.timeout_secs.to_string()),
        // The coordinator's debug line splits the acceptance into validating, storing and
        // queueing.
        ("RUST_LOG", "info,crawler_coordinator=debug".to_string()),
    ];
    let deployment = match args.embedded {
        true => Deployment::Embedded,
        false => Deployment::Distributed {
            workers: args.workers,
        },
    };
    let cluster = Cluster::start(binaries, deployment, &settings).await;
    for worker in &cluster.workers {
        worker
            .wait_for_log("fetcher worker consuming", START_TIMEOUT)
            .await;
    }
    println!(
        "crawler-bench-batch: {} pages of ~{} KiB on loopback, {}, {} CPUs",
        args.pages,
        args.page_bytes / 1024,
        match args.embedded {
            true => "crawler serve".to_string(),
            false => format!("{} fetcher workers over RabbitMQ and Redis", args.workers),
        },
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let timeout = Duration::from_secs(args.timeout_secs);

    let crawl_rate = match args.no_crawl {
        true => None,
        false => Some(crawl_baseline(&cluster, &site, timeout).await?),
    };

    let urls: Vec<String> = (0..args.pages)
        .map(|i| site.url(&format!("/p/{i}")))
        .collect();
    let started = Instant::now();
    let (code, answer) = cluster.post("/v1/batchjobs", json!({"urls": urls})).await;
    let accepted = started.elapsed();
    if code != 200 {
        bail!("the batch was refused ({code}): {answer}");
    }
    let first = answer[0]["id"].as_str().context("the first item's id")?;
    let job = batch_job_id(first)?;
    println!(
        "batch: {} URLs accepted in {:.2} s (answer of {} status objects)",
        args.pages,
        accepted.as_secs_f64(),
        answer.as_array().map_or(0, Vec::len)
    );
    let status = wait_ended(&cluster, &job, timeout).await?;
    let batch_pages = status["completed"].as_u64().unwrap_or(0);
    let batch_secs = started.elapsed().as_secs_f64();
    let fetch_secs = batch_secs - accepted.as_secs_f64();
    let batch_rate = batch_pages as f64 / batch_secs;
    println!(
        "batch: {batch_pages} pages in {batch_secs:.1} s from the request = {batch_rate:.0} pages/s \
         ({:.0} pages/s after acceptance)",
        batch_pages as f64 / fetch_secs,
    );
    if let Some(crawl_rate) = crawl_rate {
        println!(
            "batch / crawl pages per second: {:.2}",
            batch_rate / crawl_rate
        );
    }
    if status["failed"].as_u64().unwrap_or(0) > 0 {
        println!("warning: {} pages failed: {status}", status["failed"]);
    }
    Ok(())
}

/// Crawls the whole site; returns its pages per second.
async fn crawl_baseline(
    cluster: &Cluster,
    site: &TestSite,
    timeout: Duration,
) -> anyhow::Result<f64> {
    let started = Instant::now();
    let crawl = cluster
        .submit(json!({"start_url": site.url("/"), "max_depth": 100}))
        .await;
    let crawl_id = crawl["jobId"].as_str().context("the crawl's jobId")?;
    let status = wait_ended(cluster, crawl_id, timeout).await?;
    let pages = status["completed"].as_u64().unwrap_or(0);
    let secs = started.elapsed().as_secs_f64();
    let rate = pages as f64 / secs;
    println!("crawl (baseline): {pages} pages in {secs:.1} s = {rate:.0} pages/s");
    Ok(rate)
}

fn binaries(dir: &std::path::Path) -> anyhow::Result<Binaries> {
    let binary = |name: &str| dir.join(name);
    for name in [
        "coordinator",
        "fetcher-worker",
        "webhook-dispatcher",
        "crawler",
    ] {
        if !binary(name).is_file() {
            bail!(
                "{} is missing; build with `cargo build --release -p crawler`",
                binary(name).display()
            );
        }
    }
    Ok(Binaries {
        coordinator: binary("coordinator"),
        fetcher_worker: binary("fetcher-worker"),
        webhook_dispatcher: binary("webhook-dispatcher"),
        scheduler: binary("scheduler"),
        crawler: binary("crawler"),
    })
}

/// The internal job of a batch, from one of its items' ids: the id with its low 16 bits
/// cleared (crawler_core::async_job). Its counters are readable as a crawl's status.
fn batch_job_id(item: &str) -> anyhow::Result<String> {
    let id = uuid::Uuid::parse_str(item)?;
    Ok(uuid::Uuid::from_u128(id.as_u128() & !0xFFFF).to_string())
}

async fn wait_ended(cluster: &Cluster, job: &str, timeout: Duration) -> anyhow::Result<Value> {
    let started = Instant::now();
    loop {
        let status = cluster.status(job).await;
        if status["jobState"] != "running" {
            return Ok(status);
        }
        if started.elapsed() > timeout {
            bail!("job {job} still running after {timeout:?}: {status}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
