//! The delivery routes: a job's failed deliveries and their replay, stored page bodies,
//! and re-enabling an endpoint. Like every job route, a caller reaches only its own jobs
//! (another key's job answers 404) and its own endpoints.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use crawler_core::JobId;
use crawler_deliveries::StoreError;
use serde::Deserialize;
use serde_json::json;

use crate::app::AppState;
use crate::deliveries::{DeliveryApi, FailedDeliveries};
use crate::error::ApiError;
use crate::validate::strict;

type Shared = State<Arc<AppState>>;

fn operations(app: &AppState) -> DeliveryApi {
    DeliveryApi::new(app.events_queue.clone(), app.services.deliveries.clone())
}

/// The job `raw_id` names when the caller owns it; 404 otherwise.
async fn owned_job(
    app: &AppState,
    raw_id: &str,
    headers: &HeaderMap,
    query: &HashMap<String, String>,
) -> Result<JobId, ApiError> {
    let job: JobId = raw_id
        .parse()
        .map_err(|_| ApiError::not_found("no such job"))?;
    let caller = app.caller(headers, query)?;
    app.owned_job(&caller, job).await
}

/// `state=failed` (the default): the dead-lettered events, each with its attempts;
/// `state=all`: every attempt, paged with a cursor (`super::delivery_log`).
pub async fn failed_deliveries(
    State(app): Shared,
    Path(job_id): Path<String>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let job = owned_job(&app, &job_id, &headers, &query).await?;
    match query.get("state").map(String::as_str) {
        None | Some("failed") => {}
        Some("all") => return super::delivery_log::job_attempts(&app, job, &query).await,
        Some(_) => {
            return Err(ApiError::bad_request(
                "state",
                "`failed` lists dead-lettered events, `all` every attempt",
            ))
        }
    }
    let failed: FailedDeliveries = operations(&app).failed_deliveries(job).await?;
    Ok(Json(failed).into_response())
}

pub async fn replay(
    State(app): Shared,
    Path(job_id): Path<String>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let job = owned_job(&app, &job_id, &headers, &query).await?;
    let replayed = operations(&app).replay(job).await?;
    Ok(Json(json!({"jobId": job, "replayed": replayed})).into_response())
}

pub async fn page_body(
    State(app): Shared,
    Path(job_id): Path<String>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let job = owned_job(&app, &job_id, &headers, &query).await?;
    let Some(url) = query.get("url").filter(|u| !u.is_empty()) else {
        return Err(ApiError::bad_request("url", "the page's URL is required"));
    };
    let stored = operations(&app).page_body(job, url).await?.ok_or_else(|| {
        ApiError::new(
            axum::http::StatusCode::NOT_FOUND,
            Some("url"),
            "no stored body for this page (never left out of a webhook, or expired)",
        )
    })?;
    let bytes = match (stored.body, stored.base64_encoded_body) {
        (Some(text), _) => text.into_bytes(),
        (None, Some(encoded)) => STANDARD
            .decode(encoded)
            .map_err(|e| ApiError::from(StoreError::Corrupt(e.to_string())))?,
        (None, None) => Vec::new(),
    };
    Ok((stored_body_headers(stored.content_type), bytes).into_response())
}

/// The headers of a stored page body. The body is the crawled site's, served from the
/// API's origin: sent as the site's HTML it would run the site's scripts with the API's
/// cookies and origin. So it is a download that no browser renders or sniffs, with the
/// site's own content type kept in `X-Original-Content-Type` for clients that want it.
fn stored_body_headers(original: Option<String>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let fixed = [
        (header::CONTENT_TYPE, "application/octet-stream"),
        (header::CONTENT_DISPOSITION, "attachment"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::CONTENT_SECURITY_POLICY, "sandbox"),
    ];
    for (name, value) in fixed {
        headers.insert(name, header::HeaderValue::from_static(value));
    }
    // A stored type that is not a valid header value (never, as it came from a header) is
    // left out rather than failing the download.
    if let Some(Ok(original)) = original.map(header::HeaderValue::try_from) {
        headers.insert(
            header::HeaderName::from_static("x-original-content-type"),
            original,
        );
    }
    headers
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReenableRequest {
    url: Option<String>,
    /// The key may travel in the body (docs/api.md); it is known, not read here.
    #[serde(default, rename = "api_key", alias = "apiKey")]
    _api_key: Option<serde_json::Value>,
}

pub async fn reenable(
    State(app): Shared,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let caller = app.caller(&headers, &query)?;
    let request: ReenableRequest = serde_json::from_slice(&body).map_err(|e| {
        strict::unknown_field(&e).unwrap_or_else(|| {
            ApiError::bad_request("url", "send a JSON object with the endpoint's `url`")
        })
    })?;
    let Some(url) = request.url.filter(|u| !u.is_empty()) else {
        return Err(ApiError::bad_request(
            "url",
            "the endpoint's `url` is required",
        ));
    };
    let was_disabled = operations(&app).reenable(&caller.tenant, &url).await?;
    Ok(Json(json!({"url": url, "reenabled": true, "wasDisabled": was_disabled})).into_response())
}
