//! Readiness for the roles without an HTTP API of their own (fetcher workers, webhook
//! dispatchers): `/metrics`, `/healthz` and `/readyz` on the configured `metrics_addr`.

use std::sync::{Arc, OnceLock};

use crawler_config::Settings;
use crawler_telemetry::readiness::{probe, Readiness};

use crate::services::{BackendChoice, Roles, Services, ServicesError};

/// Serves `/metrics`, `/healthz` and `/readyz` on the configured `metrics_addr`, if any,
/// then connects to the distributed backends. The listener comes first so that metrics and
/// liveness answer while the broker or Redis is still down; `/readyz` says 503 until both
/// answer. Opens what `roles` use.
pub async fn connect_with_metrics(
    config: &Settings,
    roles: Roles,
) -> Result<Services, ServicesError> {
    let connected: Arc<OnceLock<Services>> = Arc::default();
    if !config.metrics_addr.is_empty() {
        let listener = tokio::net::TcpListener::bind(config.metrics_addr.as_str())
            .await
            .map_err(|source| ServicesError::MetricsListener {
                addr: config.metrics_addr.clone(),
                source,
            })?;
        let readiness = backends_readiness(connected.clone());
        tokio::spawn(async move {
            let serving =
                crawler_telemetry::serve_metrics(listener, readiness, std::future::pending());
            if let Err(e) = serving.await {
                tracing::warn!(error = %e, "metrics listener stopped");
            }
        });
    }
    let services = Services::connect(config, BackendChoice::Distributed, roles).await?;
    // Only this function sets it, once.
    let _ = connected.set(services.clone());
    Ok(services)
}

/// The broker and the job store, each up only once connected and answering.
fn backends_readiness(connected: Arc<OnceLock<Services>>) -> Readiness {
    Readiness::new(move || {
        let services = connected.get().cloned();
        async move {
            let Some(services) = services else {
                return vec![("queue", false), ("state", false)];
            };
            let (queue, state) = tokio::join!(
                probe(services.queue.is_ready()),
                probe(services.state.is_ready()),
            );
            vec![("queue", queue), ("state", state)]
        }
    })
}
