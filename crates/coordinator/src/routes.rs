//! The routes. ScraperAPI's paths (`/job`, `/job/{id}`) are aliases of ours, so a client
//! written for its Crawler works by changing the host.

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{middleware, Router};

use crate::app::AppState;
use crate::auth::{self, AuthMode};
use crate::error::ApiError;
use crate::handlers::{
    async_jobs, continuation, deliveries, delivery_log, health, jobs, results, schedules, submit,
    webhooks,
};
use crate::inbound;
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
    let async_body_limit = state.settings.async_max_body_bytes;
    let open = matches!(state.auth, AuthMode::Open { .. });
    let api = Router::new()
        .merge(async_job_routes(async_body_limit))
        .merge(crawl_routes())
        .merge(webhook_routes())
        .merge(schedule_routes())
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
        .layer(middleware::from_fn(auth::refuse_query_keys))
        .layer(middleware::from_fn(inbound::require_json));
    // Without keys, being on this machine is the only credential: refuse other sites'
    // pages and rebound host names before anything else runs.
    let api = if open {
        api.layer(middleware::from_fn(inbound::local_callers_only))
    } else {
        api
    };
    api.layer(middleware::from_fn(metrics::count_requests))
}

type Routes = Router<Arc<AppState>>;

/// ScraperAPI's Async API, with its paths without `/v1` as aliases.
fn async_job_routes(body_limit: usize) -> Routes {
    // A batch of 50,000 URLs is megabytes: its routes get their own body limit.
    let submissions = Router::new()
        .route("/v1/jobs", post(async_jobs::submit_job))
        .route("/jobs", post(async_jobs::submit_job))
        .route("/v1/batchjobs", post(async_jobs::submit_batch))
        .route("/batchjobs", post(async_jobs::submit_batch))
        .layer(DefaultBodyLimit::max(body_limit));
    let status = || get(async_jobs::status).delete(async_jobs::cancel);
    Router::new()
        .merge(submissions)
        .route("/v1/jobs/{id}", status())
        .route("/jobs/{id}", status())
        .route(
            "/v1/jobs/{id}/deliveries",
            get(async_jobs::failed_deliveries),
        )
        .route("/v1/jobs/{id}/deliveries/replay", post(async_jobs::replay))
}

/// Crawls, with ScraperAPI Crawler's `/job` paths as aliases, and what hangs off a job.
fn crawl_routes() -> Routes {
    Router::new()
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
        .route("/v1/crawls/{id}/results", get(results::results))
        .route("/v1/crawls/{id}/continue", post(continuation::continue_job))
}

/// Named webhook endpoints and the delivery log.
fn webhook_routes() -> Routes {
    Router::new()
        .route("/v1/webhooks/reenable", post(deliveries::reenable))
        .route("/v1/webhooks", post(webhooks::create).get(webhooks::list))
        .route(
            "/v1/webhooks/{name}",
            get(webhooks::get)
                .patch(webhooks::update)
                .delete(webhooks::delete),
        )
        .route("/v1/webhooks/{name}/enable", post(webhooks::enable))
        .route("/v1/webhooks/{name}/test", post(webhooks::test))
        .route(
            "/v1/webhooks/{name}/deliveries",
            get(delivery_log::webhook_deliveries),
        )
        .route(
            "/v1/deliveries/{id}/redeliver",
            post(delivery_log::redeliver),
        )
}

fn schedule_routes() -> Routes {
    Router::new()
        .route("/v1/schedules", get(schedules::list))
        .route(
            "/v1/schedules/{id}",
            get(schedules::get)
                .patch(schedules::patch)
                .delete(schedules::delete),
        )
        .route("/v1/schedules/{id}/run", post(schedules::run_now))
}
