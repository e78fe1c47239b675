//! What every binary does before handing over to its library: connect to the backends
//! (waiting for them to come up, so a role can start before the broker), and turn SIGINT
//! and SIGTERM into a shutdown future.

use std::sync::Arc;
use std::time::Duration;

use crawler_config::Settings;
use crawler_queue::{Queue, QueueBackend};
use crawler_state::{StateBackend, StateStore};

/// Connects to RabbitMQ and Redis, retrying with capped backoff until both answer.
pub async fn connect_distributed(
    config: &Settings,
) -> (Arc<dyn Queue>, Arc<dyn StateStore>) {
    let queue_backend = QueueBackend::RabbitMq { url: config.amqp_url.clone() };
    let state_backend = StateBackend::Redis { url: config.redis_url.clone() };
    let queue = retry("RabbitMQ", || crawler_queue::connect(&queue_backend)).await;
    let state = retry("Redis", || crawler_state::connect(&state_backend, &config.namespace)).await;
    (queue, state)
}

async fn retry<T, E, F, Fut>(what: &str, mut attempt: F) -> T
where
    E: std::fmt::Display,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    let mut delay = Duration::from_millis(200);
    loop {
        match attempt().await {
            Ok(value) => return value,
            Err(e) => {
                tracing::warn!(error = %e, retry_in = ?delay, "{what} is not reachable yet");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// Resolves on the first SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
    tracing::info!("shutdown requested");
}
