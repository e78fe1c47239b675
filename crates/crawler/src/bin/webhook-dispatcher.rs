//! The webhook dispatcher: delivers page events and job summaries to the jobs' webhooks.
//! See `crawler_dispatcher` for what it does; this file only wires configuration, logging,
//! backends and signals together.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use crawler_config::{init_tracing, Settings};
use crawler_dispatcher::{store, Backends, DeliveryBackend};
use crawler_queue::QueueBackend;
use crawler_state::StateBackend;

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

    // The broker and Redis may start after us (compose, systemd): wait for them.
    let amqp = QueueBackend::RabbitMq {
        url: settings.amqp_url.clone(),
    };
    let queue = retry("RabbitMQ", || crawler_queue::connect(&amqp)).await;
    let (redis, namespace) = (settings.redis_url.clone(), settings.namespace.clone());
    let state_backend = StateBackend::Redis { url: redis.clone() };
    let state = retry("Redis", || {
        crawler_state::connect(&state_backend, &namespace)
    })
    .await;
    let store_backend = DeliveryBackend::Redis { url: redis };
    let deliveries = retry("Redis", || store::connect(&store_backend, &namespace)).await;

    let backends = Backends {
        queue,
        state,
        deliveries,
    };
    crawler_dispatcher::run(settings, backends, shutdown_signal()).await?;
    Ok(())
}

/// Calls `connect` until it succeeds, logging each failure and backing off up to 10 s.
async fn retry<T, E, F, Fut>(what: &str, mut connect: F) -> T
where
    E: std::fmt::Display,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut delay = Duration::from_millis(200);
    loop {
        match connect().await {
            Ok(value) => return value,
            Err(error) => {
                tracing::warn!(%error, "{what} is not reachable yet; retrying in {delay:?}");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(10));
            }
        }
    }
}

/// Completes on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM; only Ctrl-C stops the dispatcher");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate => {}
    }
    tracing::info!("shutting down");
}
