//! `fetcher-worker`: consumes fetch tasks from RabbitMQ, with job state in Redis. Start as
//! many as you like, on as many machines, pointed at the same broker and Redis.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use crawler::runtime::{connect_distributed, shutdown_signal, spawn_metrics};
use crawler_config::{init_tracing, Settings};
use crawler_fetcher::worker;

#[derive(Parser)]
#[command(
    version,
    about = "Fetches pages for crawl jobs (configure with CRAWLER_* variables)"
)]
struct Args {
    /// A TOML file with settings; CRAWLER_* environment variables override it.
    #[arg(long, env = "CRAWLER_CONFIG")]
    config: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let config = Arc::new(Settings::load(args.config.as_deref())?);
    init_tracing(config.log_format);
    spawn_metrics(&config).await?;
    let services = connect_distributed(&config).await;
    let backends = services.worker(None);
    worker::run(config, backends, shutdown_signal())
        .await
        .context("fetcher worker failed")
}
