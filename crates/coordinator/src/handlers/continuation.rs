//! What a caller does to a whole job once it ended: `POST /v1/crawls/{id}/continue`
//! fetches its failed and empty pages again (WebScraper.io's "Continue"), and
//! `DELETE /v1/crawls/{id}?purge=true` deletes it with its data.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use crawler_core::{FetchTask, JobId, JobState, StopReason};
use serde_json::json;

use super::query_map;
use super::results::RESULTS_PER_READ;
use crate::app::AppState;
use crate::error::ApiError;

async fn owned(
    app: &AppState,
    raw_id: &str,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<JobId, ApiError> {
    let caller = app.caller(headers, &query_map(query))?;
    let job: JobId = raw_id
        .parse()
        .map_err(|_| ApiError::not_found("no such job"))?;
    app.owned_job(&caller, job).await
}

/// Reopens an ended job for its failed pages and the ones fetched fine but empty, and
/// queues them. The job then runs again and ends with a new summary (a fresh
/// notification for its webhook). 409 while it runs, or when it has no such page.
pub async fn continue_job(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let job = owned(&app, &id, &headers, query.as_deref()).await?;
    let state = &app.services.state;
    let status = state
        .status(job)
        .await?
        .ok_or_else(|| ApiError::not_found("no such job"))?;
    let numbered_seeds = state
        .job(job)
        .await?
        .is_some_and(|record| record.spec.kind.rules().seeds_are_jobs);
    if numbered_seeds {
        // Each URL of an async job is a job of its own, retried until its timeoutSec.
        return Err(conflict(
            "continue applies to crawls; an async job's URLs are retried until their timeoutSec",
        ));
    }
    if status.job_state == JobState::Running {
        return Err(conflict(
            "the job is still running; continue it once it has ended",
        ));
    }
    let again = pages_to_fetch_again(&app, job).await?;
    if again.is_empty() {
        return Err(conflict(
            "the job has no failed or empty pages to fetch again",
        ));
    }
    let reopened = state.reopen(job, &again).await?;
    if reopened.is_empty() {
        // Another continuation got there first, or the budget has no room for any of them.
        return Err(conflict(
            "none of the job's failed or empty pages could be fetched again (the job is running again, or its budget is spent)",
        ));
    }
    if let Err(error) = app.fetch_queue.publish(reopened.iter().cloned()).await {
        tracing::warn!(%job, %error, "could not queue the continued pages; cancelling them");
        crate::launch::cancel_unseeded(&app, job, &reopened).await;
        return Err(ApiError::unavailable("work queue", &error));
    }
    tracing::info!(%job, pages = reopened.len(), "job continued");
    let status = state.status(job).await?;
    let answer = json!({"refetching": reopened.len(), "status": status});
    Ok((StatusCode::ACCEPTED, Json(answer)).into_response())
}

/// The job's failed and empty pages, as tasks at their depth. Only their URLs are held,
/// the results are read a step at a time.
async fn pages_to_fetch_again(app: &AppState, job: JobId) -> Result<Vec<FetchTask>, ApiError> {
    let mut tasks = Vec::new();
    let mut offset = Some(0);
    while let Some(from) = offset {
        let page = app
            .services
            .state
            .results(job, from, RESULTS_PER_READ)
            .await?;
        tasks.extend(
            page.results
                .into_iter()
                .filter(|r| r.failed() || r.is_empty())
                .map(|r| FetchTask {
                    job_id: job,
                    url: r.url,
                    depth: r.depth,
                    attempt: 0,
                    last_error: None,
                    item: 0,
                }),
        );
        offset = page.next;
    }
    Ok(tasks)
}

/// Deletes a job and its page results (a running one is stopped first: its workers drop
/// the tasks of a job that no longer exists). The job then answers 404 everywhere.
pub async fn purge(app: &AppState, job: JobId) -> Result<Response, ApiError> {
    let state = &app.services.state;
    state.request_stop(job, StopReason::Cancelled).await?;
    let purged = state.purge(job).await?;
    tracing::info!(%job, purged, "job purged");
    Ok(Json(json!({"jobId": job, "purged": purged})).into_response())
}

fn conflict(message: &str) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, None, message)
}
