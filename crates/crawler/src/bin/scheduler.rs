//! `scheduler`: starts the due runs of stored schedules as new jobs. Every coordinator runs
//! the same loop unless `scheduler_in_coordinator` is false; run this role instead when the
//! API should not do that work. Any number may run: a lease in Redis lets one start runs.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Parser;
use crawler_config::{init_tracing, Settings};
use crawler_coordinator::{scheduling, AppState, AuthMode};
use crawler_runtime::{connect_with_metrics, exit_on_error, shutdown_signal, Roles};

#[derive(Parser)]
#[command(
    version,
    about = "Starts the due runs of stored schedules (configure with CRAWLER_* variables)"
)]
struct Args {
    /// A TOML file with settings; CRAWLER_* environment variables override it.
    #[arg(long, env = "CRAWLER_CONFIG")]
    config: Option<PathBuf>,
}

#[tokio::main]
async fn main() {
    exit_on_error("scheduler", start().await);
}

async fn start() -> anyhow::Result<()> {
    let args = Args::parse();
    let settings = Arc::new(Settings::load(args.config.as_deref())?);
    init_tracing(settings.log_format);
    // The broker and Redis may start after us: wait for them.
    // It starts jobs through the coordinator's state, so it opens what the API opens.
    let services = connect_with_metrics(&settings, Roles::API).await?;
    // Links handed out in the jobs it starts (statusUrl) point at the public API.
    let base = settings.public_base_url(settings.http_addr);
    let app = AppState::new(settings, services.coordinator()?, AuthMode::Keys, base);
    scheduling::run_scheduler(Arc::new(app), shutdown_signal()).await?;
    Ok(())
}
