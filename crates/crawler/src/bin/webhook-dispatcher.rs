//! The webhook dispatcher: delivers page events and job summaries to the jobs' webhooks.
//! See `crawler_dispatcher` for what it does; this file only wires configuration, logging,
//! backends and signals together.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Parser;
use crawler_config::{init_tracing, Settings};
use crawler_runtime::{connect_with_metrics, exit_on_error, shutdown_signal, Roles};

#[derive(Parser)]
#[command(about = "Delivers crawl events to the jobs' webhooks, signed and retried")]
struct Args {
    /// TOML file layered between the defaults and the CRAWLER_* environment variables.
    #[arg(long, env = "CRAWLER_CONFIG")]
    config: Option<PathBuf>,
}

#[tokio::main]
async fn main() {
    exit_on_error("webhook-dispatcher", start().await);
}

async fn start() -> anyhow::Result<()> {
    let args = Args::parse();
    let settings = Arc::new(Settings::load(args.config.as_deref())?);
    init_tracing(settings.log_format);

    // The broker and Redis may start after us (compose, systemd): wait for them.
    let services = connect_with_metrics(&settings, Roles::DISPATCHER).await?;
    crawler_dispatcher::run(settings, services.dispatcher()?, shutdown_signal()).await?;
    Ok(())
}
