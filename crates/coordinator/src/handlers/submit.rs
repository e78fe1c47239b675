//! `POST /v1/crawls` (and `POST /job`): validate, store, seed.
//!
//! Everything is validated before the job store or the queue is touched, so a refused job
//! leaves nothing behind. Once stored, the job exists only if its seed tasks are queued:
//! when the publish fails, the job is ended as cancelled before answering 503, so that no
//! job waits forever on tasks that were never sent.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use crawler_core::{JobRecord, JobSpec, JobState, JobStatus};
use serde::Serialize;

use super::query_map;
use crate::app::AppState;
use crate::auth::{self, Caller};
use crate::error::ApiError;
use crate::launch::{self, Launched};
use crate::request::CrawlRequest;
use crate::validate::strict;
use crate::{guard, metrics, validate, webhooks, MAX_BODY_BYTES};

/// The 201 answer: the job's status plus what the client needs to follow it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Submitted<'a> {
    #[serde(flatten)]
    status: JobStatus,
    status_url: String,
    /// The secret webhooks are signed with, generated when the job brought none.
    webhook_secret: Option<&'a str>,
    /// The job as validated and normalised.
    job: &'a JobSpec,
}

pub async fn submit(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let outcome = accept(&app, &headers, query.as_deref(), body).await;
    match &outcome {
        Ok(_) => metrics::job_submitted(),
        Err(error) => metrics::job_refused(error.status, error.field.as_deref()),
    }
    outcome
}

async fn accept(
    app: &AppState,
    headers: &HeaderMap,
    query: Option<&str>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let query = query_map(query);
    // A key in the header or the query string is checked before the body is even read,
    // so a bad key gets its 401 whatever the body holds.
    let outer_key = auth::key_from_parts(headers, &query);
    let early_caller = match outer_key {
        Some(key) => Some(app.authenticate(Some(key))?),
        None => None,
    };
    let request = parse_body(body)?;
    let caller: Caller = match early_caller {
        Some(caller) => caller,
        None => app.authenticate(request.body_api_key())?,
    };

    let now = crawler_core::time::now_ms();
    let (mut spec, schedule) =
        validate::schedule::job_and_schedule(&request, &app.rules, caller.plan, now)?;
    spec.tenant = caller.tenant.clone();
    if let Some(name) = &spec.webhook_name {
        webhooks::require_named(app.services.endpoints.as_ref(), &spec.tenant, name).await?;
    }
    let allow_private = app.settings.allow_private_networks;
    guard::check("start_url", &spec.start_url, allow_private).await?;
    if let Some(callback) = &spec.callback {
        guard::check("callback.url", &callback.url, allow_private).await?;
    }

    if let Some(schedule) = schedule {
        return super::schedules::create(app, caller.owner, spec, schedule, now).await;
    }
    let Launched { record, pending } = launch::start_job(app, caller.owner, spec).await?;
    tracing::info!(job = %record.job_id, start_url = %record.spec.start_url, "job accepted");

    let status_url = app.status_url(&record.job_id);
    let answer = Submitted {
        status: initial_status(&record, pending),
        status_url: status_url.clone(),
        webhook_secret: record.spec.callback.as_ref().map(|c| c.secret.as_str()),
        job: &record.spec,
    };
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, status_url)],
        Json(answer),
    )
        .into_response())
}

fn parse_body(body: Result<Bytes, BytesRejection>) -> Result<CrawlRequest, ApiError> {
    let bytes = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::bad_request(
                "body",
                format!("the request body is larger than {MAX_BODY_BYTES} bytes (1 MiB)"),
            )
        } else {
            ApiError::bad_request(
                "body",
                format!("the request body could not be read: {rejection}"),
            )
        }
    })?;
    CrawlRequest::parse(&bytes).map_err(|e| {
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

/// The status of a job that was just created: its `pending` seed URLs admitted.
fn initial_status(record: &JobRecord, pending: u64) -> JobStatus {
    JobStatus {
        job_id: record.job_id,
        job_state: JobState::Running,
        stop_reason: None,
        start_url: record.spec.start_url.clone(),
        completed: 0,
        failed: 0,
        cancelled: 0,
        pending,
        job_cost: 0,
        crawl_budget: record.spec.crawl_budget,
        meta: record.spec.meta.clone(),
        created_at: record.created_at_ms,
        finished_at: None,
    }
}
