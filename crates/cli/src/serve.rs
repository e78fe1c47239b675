//! `crawler serve`: the coordinator's HTTP API with fetcher workers and the webhook
//! dispatcher in one process, for local development. In-memory backends, unless both
//! CRAWLER_AMQP_URL and CRAWLER_REDIS_URL are set, in which case it joins that RabbitMQ and
//! Redis like the distributed roles do.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use crawler_coordinator::auth::AuthMode;
use crawler_coordinator::AppState;
use crawler_core::redact::redacted_url;
use crawler_runtime::{shutdown_signal, BackendChoice, Embedded, EmbeddedOptions, Roles, Services};

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on (default: the `http_addr` setting, 127.0.0.1:8080).
    #[arg(long)]
    pub addr: Option<SocketAddr>,
    /// Worker loops to run in this process.
    #[arg(long, default_value_t = 2)]
    pub workers: usize,
    /// A TOML file with settings; CRAWLER_* environment variables override it.
    #[arg(long, env = "CRAWLER_CONFIG")]
    pub config: Option<PathBuf>,
}

pub async fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let config = Arc::new(super::local::settings(args.config.as_deref())?);
    let addr = args.addr.unwrap_or(config.http_addr);
    let auth = auth_mode(&config, addr)?;
    let choice = if distributed_requested() {
        tracing::info!(
            "using RabbitMQ at {} and Redis at {}",
            redacted_url(&config.amqp_url),
            redacted_url(&config.redis_url)
        );
        BackendChoice::Distributed
    } else {
        tracing::info!("using in-memory backends: jobs are lost when this process stops");
        BackendChoice::Memory
    };
    let backends = Services::connect(&config, choice, Roles::ALL).await?;
    let options = EmbeddedOptions {
        workers: args.workers,
        dispatcher: true,
        tap: None,
    };
    let roles = Embedded::start(config.clone(), backends.clone(), options)?;

    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let app = AppState::new(
        config.clone(),
        backends.coordinator()?,
        auth,
        config.public_base_url(bound),
    );
    let served = crawler_coordinator::serve(app, listener, shutdown_signal()).await;
    roles.stop().await;
    served?;
    Ok(ExitCode::SUCCESS)
}

fn distributed_requested() -> bool {
    std::env::var_os("CRAWLER_AMQP_URL").is_some()
        && std::env::var_os("CRAWLER_REDIS_URL").is_some()
}

/// Without API keys, only a loopback listener is allowed, where the only caller is this
/// machine's user.
fn auth_mode(config: &crawler_config::Settings, addr: SocketAddr) -> anyhow::Result<AuthMode> {
    if !config.api_keys.is_empty() {
        return Ok(AuthMode::Keys);
    }
    if !addr.ip().is_loopback() {
        anyhow::bail!("refusing to serve on {addr} without API keys; set CRAWLER_API_KEYS or listen on 127.0.0.1");
    }
    tracing::warn!("no API keys configured: any program on this machine can use the API");
    Ok(AuthMode::Open {
        owner: "local".into(),
    })
}
