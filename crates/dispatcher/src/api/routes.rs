//! The delivery routes, for the coordinator to merge into its router.
//!
//! Errors have the coordinator's shape, `{"error": {"field": ..., "message": ...}}`, and a
//! 500 or 503 never carries the underlying error (it is logged instead).

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use crawler_core::JobId;
use serde::Deserialize;
use serde_json::json;

use super::{ApiError, DeliveryApi};

/// Decides who may use the routes; the coordinator implements it with its API keys and
/// job ownership. A refusal is returned to the client as is.
#[async_trait]
pub trait AccessGuard: Send + Sync + 'static {
    /// Whether the request may read and replay `job`'s deliveries and stored bodies. A
    /// job the caller does not own should be refused with a 404, like a missing one.
    async fn job_access(
        &self,
        headers: &HeaderMap,
        query: &HashMap<String, String>,
        job: JobId,
    ) -> Result<(), Response>;

    /// Whether the request may re-enable a webhook endpoint.
    async fn endpoint_access(
        &self,
        headers: &HeaderMap,
        query: &HashMap<String, String>,
    ) -> Result<(), Response>;
}

/// Lets everyone in: for the embedded mode on loopback and for tests.
pub struct OpenAccess;

#[async_trait]
impl AccessGuard for OpenAccess {
    async fn job_access(
        &self,
        _: &HeaderMap,
        _: &HashMap<String, String>,
        _: JobId,
    ) -> Result<(), Response> {
        Ok(())
    }

    async fn endpoint_access(
        &self,
        _: &HeaderMap,
        _: &HashMap<String, String>,
    ) -> Result<(), Response> {
        Ok(())
    }
}

struct RouteState {
    api: DeliveryApi,
    guard: Arc<dyn AccessGuard>,
}

type Shared = State<Arc<RouteState>>;

/// The delivery routes over `api`, each asking `guard` first.
pub fn router(api: DeliveryApi, guard: Arc<dyn AccessGuard>) -> Router {
    Router::new()
        .route("/v1/crawls/{job_id}/deliveries", get(failed_deliveries))
        .route("/v1/crawls/{job_id}/deliveries/replay", post(replay))
        .route("/v1/crawls/{job_id}/pages", get(page_body))
        .route("/v1/webhooks/reenable", post(reenable))
        .with_state(Arc::new(RouteState { api, guard }))
}

fn error(status: StatusCode, field: Option<&str>, message: &str) -> Response {
    (
        status,
        Json(json!({"error": {"field": field, "message": message}})),
    )
        .into_response()
}

fn backend_error(cause: &ApiError) -> Response {
    let transient = match cause {
        ApiError::Store(e) => e.is_transient(),
        ApiError::Queue(e) => e.is_transient(),
    };
    if transient {
        tracing::warn!(error = %cause, "delivery backend unavailable");
        error(
            StatusCode::SERVICE_UNAVAILABLE,
            None,
            "the delivery store is unavailable right now; try again later",
        )
    } else {
        tracing::error!(error = %cause, "delivery backend error");
        error(
            StatusCode::INTERNAL_SERVER_ERROR,
            None,
            "internal error; the operator's logs have the details",
        )
    }
}

async fn authorized_job(
    state: &RouteState,
    raw_id: &str,
    headers: &HeaderMap,
    query: &HashMap<String, String>,
) -> Result<JobId, Response> {
    let job: JobId = raw_id
        .parse()
        .map_err(|_| error(StatusCode::NOT_FOUND, None, "no such job"))?;
    state.guard.job_access(headers, query, job).await?;
    Ok(job)
}

async fn failed_deliveries(
    State(state): Shared,
    Path(job_id): Path<String>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, Response> {
    let job = authorized_job(&state, &job_id, &headers, &query).await?;
    match query.get("state").map(String::as_str) {
        None | Some("failed") => {}
        Some(_) => {
            return Err(error(
                StatusCode::BAD_REQUEST,
                Some("state"),
                "only `failed` deliveries are listed",
            ))
        }
    }
    let listing = state
        .api
        .failed_deliveries(job)
        .await
        .map_err(|e| backend_error(&e))?;
    Ok(Json(listing).into_response())
}

async fn replay(
    State(state): Shared,
    Path(job_id): Path<String>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, Response> {
    let job = authorized_job(&state, &job_id, &headers, &query).await?;
    let replayed = state.api.replay(job).await.map_err(|e| backend_error(&e))?;
    Ok(Json(json!({"jobId": job, "replayed": replayed})).into_response())
}

async fn page_body(
    State(state): Shared,
    Path(job_id): Path<String>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, Response> {
    let job = authorized_job(&state, &job_id, &headers, &query).await?;
    let Some(url) = query.get("url").filter(|u| !u.is_empty()) else {
        return Err(error(
            StatusCode::BAD_REQUEST,
            Some("url"),
            "the page's URL is required",
        ));
    };
    let stored = state
        .api
        .page_body(job, url)
        .await
        .map_err(|e| backend_error(&e))?
        .ok_or_else(|| {
            error(
                StatusCode::NOT_FOUND,
                Some("url"),
                "no stored body for this page (never left out of a webhook, or expired)",
            )
        })?;
    let bytes = match (stored.body, stored.base64_encoded_body) {
        (Some(text), _) => text.into_bytes(),
        (None, Some(encoded)) => STANDARD.decode(encoded).map_err(|e| {
            backend_error(&ApiError::Store(crate::store::StoreError::Corrupt(
                e.to_string(),
            )))
        })?,
        (None, None) => Vec::new(),
    };
    let content_type = stored
        .content_type
        .unwrap_or_else(|| "application/octet-stream".to_string());
    Ok(([(header::CONTENT_TYPE, content_type)], bytes).into_response())
}

#[derive(Deserialize)]
struct ReenableRequest {
    url: Option<String>,
}

async fn reenable(
    State(state): Shared,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
    body: axum::body::Bytes,
) -> Result<Response, Response> {
    state.guard.endpoint_access(&headers, &query).await?;
    let request: ReenableRequest = serde_json::from_slice(&body).map_err(|_| {
        error(
            StatusCode::BAD_REQUEST,
            Some("url"),
            "send a JSON object with the endpoint's `url`",
        )
    })?;
    let Some(url) = request.url.filter(|u| !u.is_empty()) else {
        return Err(error(
            StatusCode::BAD_REQUEST,
            Some("url"),
            "the endpoint's `url` is required",
        ));
    };
    let was_disabled = state
        .api
        .reenable(&url)
        .await
        .map_err(|e| backend_error(&e))?;
    Ok(Json(json!({"url": url, "reenabled": true, "wasDisabled": was_disabled})).into_response())
}
