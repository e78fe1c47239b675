//! ScraperAPI's Async API: `POST /v1/jobs` (one URL), `POST /v1/batchjobs` (many),
//! `GET` and `DELETE /v1/jobs/{id}`, and the item's failed callbacks. Paths without `/v1`
//! are aliases, so a client written for ScraperAPI works by changing the host.
//!
//! Everything is validated before the job store or the queue is touched: a batch with one
//! bad URL is refused whole, naming the URL's index, and nothing is stored or queued.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use crawler_core::time::now_ms;
use crawler_core::{AsyncStatus, JobRecord, JobSpec, PageEvent};
use crawler_state::ItemResult;
use serde_json::json;
use url::Url;

use super::query_map;
use crate::app::AppState;
use crate::async_jobs::status::{find_item, item_status, Item};
use crate::async_jobs::{batch_spec, fetch_spec, AsyncRequest, AsyncRules};
use crate::auth::{self, Caller};
use crate::deliveries::{DeliveryApi, FailedDeliveries};
use crate::error::ApiError;
use crate::launch::{self, Launched};
use crate::validate::strict;
use crate::webhooks;
use crate::{guard, metrics};

type Shared = State<Arc<AppState>>;
type Body = Result<Bytes, BytesRejection>;

/// `POST /v1/jobs`: one async job; answers its status object.
pub async fn submit_job(
    State(app): Shared,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Body,
) -> Result<Json<AsyncStatus>, ApiError> {
    let submitted = submit(&app, &headers, query.as_deref(), body, fetch_spec).await;
    let mut statuses = counted(submitted)?;
    statuses
        .pop()
        .map(Json)
        .ok_or_else(|| ApiError::internal(&"a job without its item"))
}

/// `POST /v1/batchjobs`: one async job per URL; answers their status objects in order.
pub async fn submit_batch(
    State(app): Shared,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Body,
) -> Result<Json<Vec<AsyncStatus>>, ApiError> {
    let submitted = submit(&app, &headers, query.as_deref(), body, batch_spec).await;
    counted(submitted).map(Json)
}

fn counted<T>(outcome: Result<T, ApiError>) -> Result<T, ApiError> {
    match &outcome {
        Ok(_) => metrics::job_submitted(),
        Err(error) => {
            // `urls[17]` counts as `urls`: one label per field, not per index.
            let field = error
                .field
                .as_deref()
                .map(|f| f.split('[').next().unwrap_or(f));
            metrics::job_refused(error.status, field);
        }
    }
    outcome
}

type SpecOf = fn(&AsyncRequest, &crate::validate::Rules, &AsyncRules) -> Result<JobSpec, ApiError>;

async fn submit(
    app: &AppState,
    headers: &HeaderMap,
    query: Option<&str>,
    body: Body,
    spec_of: SpecOf,
) -> Result<Vec<AsyncStatus>, ApiError> {
    let query = query_map(query);
    // A key in the header or the query string is checked before the body is read.
    let early = auth::key_from_parts(headers, &query)
        .map(|key| app.authenticate(Some(key)))
        .transpose()?;
    let request = parse_body(app, body)?;
    let caller: Caller = match early {
        Some(caller) => caller,
        None => app.authenticate(request.body_api_key())?,
    };
    let limits = AsyncRules::new(&app.settings, &app.public_base_url);
    let started = std::time::Instant::now();
    let mut spec = spec_of(&request, &app.rules, &limits)?;
    spec.tenant = caller.tenant.clone();
    if let Some(name) = &spec.webhook_name {
        webhooks::require_named(app.services.endpoints.as_ref(), &spec.tenant, name).await?;
    }
    check_targets(app, &spec).await?;
    tracing::debug!(validated = ?started.elapsed(), "async job validated");
    let Launched { record, .. } = launch::start_job(app, caller.owner, spec).await?;
    tracing::info!(job = %record.job_id, kind = record.spec.kind.as_str(), urls = record.spec.seed_urls().len(), "async job accepted");
    Ok(running_statuses(&record))
}

fn parse_body(app: &AppState, body: Body) -> Result<AsyncRequest, ApiError> {
    let limit = app.settings.async_max_body_bytes;
    let bytes = body.map_err(|rejection| {
        let message = if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            format!("the request body is larger than {limit} bytes")
        } else {
            format!("the request body could not be read: {rejection}")
        };
        ApiError::bad_request("body", message)
    })?;
    AsyncRequest::parse(&bytes).map_err(|e| {
        if let Some(unknown) = strict::unknown_field(&e) {
            return unknown;
        }
        let what = if e.is_data() {
            "the request body must be a JSON object"
        } else {
            "the request body is not valid JSON"
        };
        ApiError::bad_request("body", format!("{what}: {e}"))
    })
}

/// The private-network rule, once per distinct origin of the job's URLs (a batch of
/// 50,000 pages of one site resolves its host once), then for the callback.
async fn check_targets(app: &AppState, spec: &JobSpec) -> Result<(), ApiError> {
    let allow_private = app.settings.allow_private_networks;
    let mut origins = BTreeSet::new();
    for (index, url) in spec.seed_urls().into_iter().enumerate() {
        let origin = Url::parse(url).map(|u| u.origin().ascii_serialization());
        if origins.insert(origin.unwrap_or_default()) {
            let field = match spec.urls.is_empty() {
                true => "url".to_string(),
                false => format!("urls[{index}]"),
            };
            guard::check(&field, url, allow_private).await?;
        }
    }
    if let Some(callback) = &spec.callback {
        guard::check("callback.url", &callback.url, allow_private).await?;
    }
    Ok(())
}

/// The status objects of a job's items just after it was accepted.
fn running_statuses(record: &JobRecord) -> Vec<AsyncStatus> {
    let Some(options) = &record.spec.async_job else {
        return Vec::new();
    };
    record
        .spec
        .seed_urls()
        .into_iter()
        .zip(1u32..)
        .map(|(url, item)| {
            let reference = options.reference(record.job_id, item);
            AsyncStatus::running(reference, url.to_string(), record.spec.meta.clone())
        })
        .collect()
}

async fn caller_item(
    app: &AppState,
    id: &str,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<Item, ApiError> {
    let caller = app.caller(headers, &query_map(query))?;
    find_item(app, &caller, id).await
}

/// `GET /v1/jobs/{id}`.
pub async fn status(
    State(app): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Json<AsyncStatus>, ApiError> {
    let item = caller_item(&app, &id, &headers, query.as_deref()).await?;
    item_status(&app, &item).await.map(Json)
}

/// `DELETE /v1/jobs/{id}`: a job still running is not fetched and reads `cancelled`; an
/// ended one is left as it is. Answers the status either way.
pub async fn cancel(
    State(app): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Json<AsyncStatus>, ApiError> {
    let item = caller_item(&app, &id, &headers, query.as_deref()).await?;
    let running = item.running()?;
    let cancelled = PageEvent {
        job_id: item.job,
        url: running.url.clone(),
        final_url: None,
        status: crawler_core::async_job::CANCELLED.to_string(),
        credits: 0,
        attempts: 0,
        start_url: item.record.spec.start_url.clone(),
        current_depth: 0,
        current_cost: 0,
        fail_reason: None,
        response: None,
        meta: running.meta.clone(),
        async_job: item
            .record
            .spec
            .async_job
            .as_ref()
            .map(|o| o.reference(item.job, item.item)),
    };
    let result = ItemResult {
        kept_at_ms: now_ms(),
        event: cancelled,
    };
    // The first result wins: a job that already ended keeps its own.
    if app
        .services
        .state
        .keep_result(item.job, item.item, &result)
        .await?
    {
        tracing::info!(job = %item.job, item = item.item, "async job cancelled");
    }
    item_status(&app, &item).await.map(Json)
}

fn operations(app: &AppState) -> DeliveryApi {
    DeliveryApi::new(app.events_queue.clone(), app.services.deliveries.clone())
}

/// `GET /v1/jobs/{id}/deliveries`: the item's callback, when every try failed.
pub async fn failed_deliveries(
    State(app): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<FailedDeliveries>, ApiError> {
    let caller = app.caller(&headers, &query)?;
    let item = find_item(&app, &caller, &id).await?;
    let mut listing = operations(&app).failed_deliveries(item.job).await?;
    listing
        .deliveries
        .retain(|delivery| delivery.url.as_deref() == Some(item.url()));
    Ok(Json(listing))
}

/// `POST /v1/jobs/{id}/deliveries/replay`: sends the dead-lettered callbacks of the item's
/// job again (for a batch, every item's), with the same `webhook-id`.
pub async fn replay(
    State(app): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let caller = app.caller(&headers, &query)?;
    let item = find_item(&app, &caller, &id).await?;
    let replayed = operations(&app).replay(item.job).await?;
    Ok(Json(json!({"id": id, "replayed": replayed})).into_response())
}
