//! `crawler-bench`: crawls a generated site served on loopback with the distributed
//! deployment (coordinator, K fetcher workers and a webhook dispatcher as processes over
//! RabbitMQ and Redis) for each K asked for, then with the embedded `crawler crawl`, and
//! prints pages per second and each process's peak memory. It builds nothing: run it
//! through `scripts/bench-crawl`, which builds the release binaries first.

mod args;
mod cleanup;
mod context;
mod distributed;
mod embedded;
mod outcome;
mod procfs;
mod report;
mod rounds;
mod sampler;
mod site_plan;

use anyhow::bail;
use clap::Parser;
use crawler_testkit::services;
use crawler_testkit::site::SiteGraph;

use crate::args::Args;
use crate::outcome::RunOutcome;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    for binary in [
        "coordinator",
        "fetcher-worker",
        "webhook-dispatcher",
        "crawler",
    ] {
        let path = args.binary(binary);
        if !path.is_file() {
            bail!(
                "{} is missing; build it with `cargo build --release -p crawler` or pass --bin-dir",
                path.display()
            );
        }
    }
    let graph = SiteGraph::generated_with_text(args.pages, args.page_bytes);
    println!(
        "crawler-bench: a site of {} pages + its root, ~{} KiB of text each, {} links deep, \
         on loopback; jobs with max_depth {}; {} CPUs",
        args.pages,
        args.page_bytes / 1024,
        site_plan::depth_of(&graph),
        args.max_depth,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "RabbitMQ {}, Redis {}; settings: {}",
        services::amqp_url(),
        services::redis_url(),
        args.crawler_settings()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ")
    );

    let mut configurations: Vec<Option<usize>> = args.workers.iter().copied().map(Some).collect();
    if !args.no_embedded {
        configurations.push(None);
    }
    let mut rounds: Vec<Vec<RunOutcome>> = vec![Vec::new(); configurations.len()];
    for round in 1..=args.rounds.max(1) {
        for (configuration, outcomes) in configurations.iter().zip(rounds.iter_mut()) {
            let outcome = match configuration {
                Some(workers) => {
                    eprintln!("crawler-bench: round {round}, distributed, {workers} worker(s)");
                    distributed::run(&args, &graph, *workers).await?
                }
                None => {
                    eprintln!("crawler-bench: round {round}, embedded");
                    embedded::run(&args, &graph).await?
                }
            };
            outcomes.push(outcome);
        }
    }
    let runs: Vec<RunOutcome> = rounds
        .into_iter()
        .filter_map(rounds::median_round)
        .collect();
    println!();
    print!("{}", report::render(&runs));
    Ok(())
}
