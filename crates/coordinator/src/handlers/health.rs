//! Liveness, readiness and metrics.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde_json::json;

use crate::app::AppState;
use crate::metrics;

/// Longest a readiness probe waits for a backend before calling it down.
const READY_PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// The process is alive and serving HTTP; says nothing about the backends.
pub async fn healthz() -> impl IntoResponse {
    Json(json!({"status": "ok"}))
}

/// Ready when both the broker and the job store answer; 503 naming the ones that do not.
pub async fn readyz(State(app): State<Arc<AppState>>) -> impl IntoResponse {
    let probe = |ready: bool| if ready { "up" } else { "down" };
    let (queue, state) = tokio::join!(
        tokio::time::timeout(READY_PROBE_TIMEOUT, app.backends.queue.is_ready()),
        tokio::time::timeout(READY_PROBE_TIMEOUT, app.backends.state.is_ready()),
    );
    let queue_up = queue.unwrap_or(false);
    let state_up = state.unwrap_or(false);
    if queue_up && state_up {
        return (
            StatusCode::OK,
            Json(json!({"status": "ready", "queue": "up", "state": "up"})),
        );
    }
    let down: Vec<&str> = [
        (!queue_up).then_some("queue"),
        (!state_up).then_some("state"),
    ]
    .into_iter()
    .flatten()
    .collect();
    let message = format!("not ready: {} unreachable", down.join(" and "));
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(json!({
            "status": "unavailable",
            "queue": probe(queue_up),
            "state": probe(state_up),
            "error": {"field": null, "message": message},
        })),
    )
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
