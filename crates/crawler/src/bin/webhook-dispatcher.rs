//! The webhook dispatcher: delivers page events and job summaries to the jobs' webhooks.
//! See `crawler_dispatcher` for what it does; this file only wires configuration, logging,
//! backends and signals together.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Parser;
use crawler::runtime::{connect_distributed, shutdown_signal, spawn_metrics};
use crawler_config::{init_tracing, Settings};
use crawler_dispatcher::Backends;

#[derive(Parser)]
#[command(about = "Delivers crawl events to the jobs' webhooks, signed and retried")]
struct Args {
    /// TOML file layered between the defaults and the CRAWLER_* environment variables.
    #[arg(long, env = "CRAWLER_CONFIG")]
    config: Option<PathBuf>,
}

#[tokio::main]
async fn main() {
    if let Err(error) = start().await {
        eprintln!("webhook-dispatcher: {error:#}");
        std::process::exit(1);
    }
}

async fn start() -> anyhow::Result<()> {
    let args = Args::parse();
    let settings = Arc::new(Settings::load(args.config.as_deref())?);
    init_tracing(settings.log_format);
    spawn_metrics(&settings).await?;

    // The broker and Redis may start after us (compose, systemd): wait for them.
    let services = connect_distributed(&settings).await;
    let backends = Backends {
        queue: services.queue,
        state: services.state,
        deliveries: services.deliveries,
    };
    crawler_dispatcher::run(settings, backends, shutdown_signal()).await?;
    Ok(())
}
