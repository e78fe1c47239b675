//! The routes. ScraperAPI's paths (`/job`, `/job/{id}`) are aliases of ours, so a client
//! written for its Crawler works by changing the host.

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{middleware, Router};

use crate::app::AppState;
use crate::error::ApiError;
use crate::handlers::{async_jobs, deliveries, health, jobs, submit};
use crate::metrics;

/// Largest request body accepted; a job description is a few kilobytes at most.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The whole API over `state`.
pub fn router(state: AppState) -> Router {
    router_over(Arc::new(state))
}

/// The whole API over `state`, shared with whatever else runs beside it (the scheduler).
pub fn router_over(state: Arc<AppState>) -> Router {
    // Install the recorder before the first request is counted.
    metrics::handle();
    // A batch of 50,000 URLs is megabytes: its routes get their own body limit.
    let async_body_limit = DefaultBodyLimit::max(state.settings.async_max_body_bytes);
    let async_submissions = Router::new()
        .route("/v1/jobs", post(async_jobs::submit_job))
        .route("/jobs", post(async_jobs::submit_job))
        .route("/v1/batchjobs", post(async_jobs::submit_batch))
        .route("/batchjobs", post(async_jobs::submit_batch))
        .layer(async_body_limit);
    Router::new()
        .merge(async_submissions)
        .route(
            "/v1/jobs/{id}",
            get(async_jobs::status).delete(async_jobs::cancel),
        )
        .route(
            "/jobs/{id}",
            get(async_jobs::status).delete(async_jobs::cancel),
        )
        .route(
            "/v1/jobs/{id}/deliveries",
            get(async_jobs::failed_deliveries),
        )
        .route("/v1/jobs/{id}/deliveries/replay", post(async_jobs::replay))
        .route("/v1/crawls", post(submit::submit).get(jobs::list))
        .route("/v1/crawls/{id}", get(jobs::status).delete(jobs::cancel))
        .route("/job", post(submit::submit))
        .route("/job/{id}", get(jobs::status).delete(jobs::cancel))
        .route(
            "/v1/crawls/{id}/deliveries",
            get(deliveries::failed_deliveries),
        )
        .route(
            "/v1/crawls/{id}/deliveries/replay",
            post(deliveries::replay),
        )
        .route("/v1/crawls/{id}/pages", get(deliveries::page_body))
        .route("/v1/webhooks/reenable", post(deliveries::reenable))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .fallback(|| async { ApiError::not_found("no such route") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                None,
                "method not allowed on this route",
            )
        })
        .with_state(state)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn(metrics::count_requests))
}
