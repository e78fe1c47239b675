//! Prometheus metrics, served at `/metrics`.
//!
//! Counters go through the `metrics` facade, so the other roles can count things the same
//! way and, in the embedded mode, one process exports them all. The Prometheus recorder is
//! installed once per process, on first use.

use std::sync::OnceLock;

use axum::extract::{MatchedPath, Request};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use metrics::{counter, describe_counter};
use metrics_exporter_prometheus::PrometheusHandle;

const HTTP_REQUESTS: &str = "crawler_http_requests_total";
const JOBS_SUBMITTED: &str = "crawler_jobs_submitted_total";
const JOBS_REFUSED: &str = "crawler_jobs_refused_total";

static DESCRIBED: OnceLock<()> = OnceLock::new();

/// The process's Prometheus handle, installing the recorder the first time.
pub fn handle() -> PrometheusHandle {
    let handle = crawler_telemetry::prometheus();
    DESCRIBED.get_or_init(|| {
        describe_counter!(
            HTTP_REQUESTS,
            "HTTP requests answered, by route, method and status."
        );
        describe_counter!(JOBS_SUBMITTED, "Crawl jobs accepted and seeded.");
        describe_counter!(
            JOBS_REFUSED,
            "Crawl job submissions refused, by status and field."
        );
        // Registered at zero so that dashboards see the series before the first job.
        counter!(JOBS_SUBMITTED).increment(0);
    });
    handle
}

/// The exposition text.
pub fn render() -> String {
    let handle = handle();
    handle.run_upkeep();
    handle.render()
}

pub fn job_submitted() {
    counter!(JOBS_SUBMITTED).increment(1);
}

pub fn job_refused(status: StatusCode, field: Option<&str>) {
    counter!(
        JOBS_REFUSED,
        "status" => status.as_u16().to_string(),
        "field" => field.unwrap_or("").to_string()
    )
    .increment(1);
}

/// Middleware counting every answered request. The route label is the route's pattern
/// (`/v1/crawls/{id}`), never the raw path, so that job ids do not become label values.
pub async fn count_requests(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let method = request.method().as_str().to_string();
    let response = next.run(request).await;
    counter!(
        HTTP_REQUESTS,
        "route" => route,
        "method" => method,
        "status" => response.status().as_u16().to_string()
    )
    .increment(1);
    response
}
