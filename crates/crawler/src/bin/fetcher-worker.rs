//! `fetcher-worker`: consumes fetch tasks from RabbitMQ, with job state in Redis. Start as
//! many as you like, on as many machines, pointed at the same broker and Redis.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use crawler_config::{init_tracing, Settings};
use crawler_fetcher::worker;
use crawler_runtime::{connect_with_metrics, exit_on_error, shutdown_signal, Roles};

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
async fn main() {
    exit_on_error("fetcher-worker", start().await);
}

async fn start() -> anyhow::Result<()> {
    let args = Args::parse();
    let config = Arc::new(Settings::load(args.config.as_deref())?);
    init_tracing(config.log_format);
    // The broker and Redis may start after us: wait for them.
    let services = connect_with_metrics(&config, Roles::WORKER).await?;
    worker::run(config, services.worker(None), shutdown_signal())
        .await
        .context("fetcher worker failed")
}
