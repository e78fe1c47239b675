//! Liveness, readiness and metrics.

use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use crawler_telemetry::readiness::{self, probe};
use serde_json::json;

use crate::app::AppState;
use crate::metrics;

/// The process is alive and serving HTTP; says nothing about the backends.
pub async fn healthz() -> impl IntoResponse {
    Json(json!({"status": "ok"}))
}

/// Ready when both the broker and the job store answer; 503 naming the ones that do not.
pub async fn readyz(State(app): State<Arc<AppState>>) -> impl IntoResponse {
    let (queue, state) = tokio::join!(
        probe(app.services.queue.is_ready()),
        probe(app.services.state.is_ready()),
    );
    readiness::response(&[("queue", queue), ("state", state)])
}

/// Prometheus exposition text.
pub async fn metrics() -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        metrics::render(),
    )
}
