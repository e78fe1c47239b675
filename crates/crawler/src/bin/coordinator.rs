//! `coordinator`: the crawl job HTTP API over RabbitMQ and Redis. Several can serve one
//! namespace behind a load balancer. See `crawler_coordinator` for what it does; this file
//! only wires configuration, logging, backends and signals together.
//!
//! Once it listens it logs `listening on http://ADDR` (the bound address, useful with
//! `CRAWLER_HTTP_ADDR=127.0.0.1:0`); tests and scripts parse that line.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use crawler_config::{init_tracing, Settings};
use crawler_runtime::{exit_on_error, shutdown_signal, BackendChoice, Roles, Services};

#[derive(Parser)]
#[command(
    version,
    about = "The crawl job HTTP API (configure with CRAWLER_* variables)"
)]
struct Args {
    /// A TOML file with settings; CRAWLER_* environment variables override it.
    #[arg(long, env = "CRAWLER_CONFIG")]
    config: Option<PathBuf>,
}

#[tokio::main]
async fn main() {
    exit_on_error("coordinator", start().await);
}

async fn start() -> anyhow::Result<()> {
    let args = Args::parse();
    let settings = Arc::new(Settings::load(args.config.as_deref())?);
    init_tracing(settings.log_format);
    // Waits for the broker and Redis, so the coordinator may start before them.
    let services = Services::connect(&settings, BackendChoice::Distributed, Roles::API).await?;
    let listener = tokio::net::TcpListener::bind(settings.http_addr)
        .await
        .with_context(|| format!("cannot listen on {}", settings.http_addr))?;
    crawler_coordinator::run(
        settings,
        services.coordinator()?,
        listener,
        shutdown_signal(),
    )
    .await?;
    Ok(())
}
