//! The delivery log routes: every attempt of a job's events or to one of the caller's
//! named endpoints, paged with a cursor, and the redelivery of one event. A caller reaches
//! only its own jobs and endpoints; anyone else's answer 404.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use crawler_core::messages::job_of_event_id;
use crawler_deliveries::{EndpointKey, LogCursor};
use serde_json::json;

use crate::app::AppState;
use crate::deliveries::{AttemptsPage, DeliveryApi};
use crate::error::ApiError;

type Shared = State<Arc<AppState>>;

/// Entries a page holds when the caller names no `limit`.
const DEFAULT_LIMIT: usize = 100;
/// The most a caller may ask for (the store's own cap).
const MAX_LIMIT: usize = crawler_deliveries::log::MAX_PAGE;

fn operations(app: &AppState) -> DeliveryApi {
    DeliveryApi::new(app.events_queue.clone(), app.services.deliveries.clone())
}

/// The page the query's `cursor` and `limit` ask for.
pub(crate) fn cursor_of(query: &HashMap<String, String>) -> Result<LogCursor, ApiError> {
    let after = match query.get("cursor").filter(|c| !c.is_empty()) {
        None => 0,
        Some(raw) => raw.parse().map_err(|_| {
            ApiError::bad_request("cursor", "pass back a `nextCursor` from an earlier page")
        })?,
    };
    let limit = match query.get("limit") {
        None => DEFAULT_LIMIT,
        Some(raw) => match raw.parse::<usize>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
            _ => {
                return Err(ApiError::bad_request(
                    "limit",
                    format!("must be a whole number from 1 to {MAX_LIMIT}"),
                ))
            }
        },
    };
    Ok(LogCursor { after, limit })
}

/// `GET /v1/crawls/{id}/deliveries?state=all`: the job's log (the caller owns `job`).
pub(crate) async fn job_attempts(
    app: &AppState,
    job: crawler_core::JobId,
    query: &HashMap<String, String>,
) -> Result<Response, ApiError> {
    let cursor = cursor_of(query)?;
    let page: AttemptsPage = operations(app).job_attempts(job, cursor).await?;
    Ok(Json(json!({
        "jobId": job,
        "state": "all",
        "attempts": page.attempts,
        "nextCursor": page.next_cursor,
        "hasMore": page.has_more,
    }))
    .into_response())
}

/// `GET /v1/webhooks/{name}/deliveries`: the log of the caller's endpoint `name`.
pub async fn webhook_deliveries(
    State(app): Shared,
    Path(name): Path<String>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let caller = app.caller(&headers, &query)?;
    let cursor = cursor_of(&query)?;
    // The key holds the caller's tenant, so another tenant's endpoint of the same name is
    // another log, never this one.
    let endpoint = EndpointKey::named(&caller.tenant, &name);
    // A name the tenant has no endpoint of (another tenant's included) is not found.
    if app
        .services
        .endpoints
        .get(&caller.tenant, &name)
        .await?
        .is_none()
    {
        return Err(ApiError::not_found("no such webhook endpoint"));
    }
    let page = operations(&app)
        .endpoint_attempts(&endpoint, cursor)
        .await?;
    Ok(Json(json!({
        "webhook": name,
        "attempts": page.attempts,
        "nextCursor": page.next_cursor,
        "hasMore": page.has_more,
    }))
    .into_response())
}

/// `POST /v1/deliveries/{deliveryId}/redeliver`: sends the event once more.
pub async fn redeliver(
    State(app): Shared,
    Path(delivery_id): Path<String>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let caller = app.caller(&headers, &query)?;
    let job =
        job_of_event_id(&delivery_id).ok_or_else(|| ApiError::not_found("no such delivery"))?;
    // Another key's job answers 404 like a missing one.
    let job = app.owned_job(&caller, job).await?;
    let Some(envelope) = operations(&app).redeliver(job, &delivery_id).await? else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            Some("deliveryId"),
            "this event is not kept any more (or was never sent), so it cannot be redelivered",
        ));
    };
    let answer = json!({
        "deliveryId": delivery_id,
        "jobId": job,
        "event": envelope.event.kind(),
        "redelivered": true,
    });
    Ok((StatusCode::ACCEPTED, Json(answer)).into_response())
}
