//! The coordinator: the HTTP API for crawl jobs.
//!
//! It validates a job, stores it, and publishes its seed task; the fetcher workers do the
//! rest. It holds no state of its own beyond the job store, so several coordinators can
//! serve the same namespace behind a load balancer.
//!
//! Like mini-redis's server, [`run`] takes its listener and its shutdown signal as
//! parameters: the binary binds the configured address and waits for SIGTERM, a test binds
//! port 0 and passes its own future, and `crawler serve` embeds [`router`] directly.

mod app;
pub mod async_jobs;
pub mod auth;
pub mod deliveries;
pub mod error;
mod guard;
mod handlers;
mod inbound;
pub mod launch;
pub mod metrics;
pub mod request;
mod routes;
pub mod scheduling;
pub mod validate;
pub mod webhooks;

use std::future::Future;
use std::sync::Arc;

use crawler_config::Settings;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use app::{ApiServices, AppState};
pub use auth::AuthMode;
pub use error::ApiError;
pub use routes::{router, router_over, MAX_BODY_BYTES};

/// The text logged once the API listens, followed by the bound address
/// (`listening on http://127.0.0.1:43123`). Tests and scripts parse it; keep it stable.
pub const LISTENING_PREFIX: &str = "listening on http://";

#[derive(Debug, thiserror::Error)]
pub enum CoordinatorError {
    #[error("HTTP server: {0}")]
    Io(#[from] std::io::Error),
}

/// Serves the API on `listener` with key authentication until `shutdown` completes.
pub async fn run(
    config: Arc<Settings>,
    services: ApiServices,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), CoordinatorError> {
    let bound = listener.local_addr()?;
    if config.api_keys.is_empty() {
        tracing::warn!(
            "no API keys are configured (CRAWLER_API_KEYS): every request will get a 401"
        );
    }
    let base = config.public_base_url(bound);
    let state = AppState::new(config, services, AuthMode::Keys, base);
    serve(state, listener, shutdown).await
}

/// Serves `state`'s API on `listener` until `shutdown` completes; requests in flight are
/// finished first.
pub async fn serve(
    state: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), CoordinatorError> {
    let bound = listener.local_addr()?;
    let state = Arc::new(state);
    let stopping = CancellationToken::new();
    let scheduler = state.settings.scheduler_in_coordinator.then(|| {
        let stopped = stopping.clone().cancelled_owned();
        let app = state.clone();
        tokio::spawn(async move {
            // The API keeps serving without it; only scheduled runs stop starting, which
            // the log must say at once rather than at shutdown.
            if let Err(error) = scheduling::run_scheduler(app, stopped).await {
                tracing::error!(%error, "the scheduler stopped with an error");
            }
        })
    });
    tracing::info!("{LISTENING_PREFIX}{bound}");
    let served = axum::serve(listener, routes::router_over(state))
        .with_graceful_shutdown(shutdown)
        .await;
    stopping.cancel();
    if let Some(scheduler) = scheduler {
        if let Err(error) = scheduler.await {
            tracing::error!(%error, "the scheduler task failed");
        }
    }
    served?;
    tracing::info!("coordinator stopped");
    Ok(())
}
