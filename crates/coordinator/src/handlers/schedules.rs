//! Scheduled crawls: a submission with a `schedule` (through [`create`]) and
//! `/v1/schedules`, where the owner lists, reads, changes, runs and deletes them.
//!
//! A caller sees only its own schedules: another key's answers 404, exactly like one that
//! does not exist. Changes are read, modified and written back with
//! [`ScheduleStore::replace`](crawler_scheduler::ScheduleStore::replace), which refuses
//! to write over a run claimed meanwhile, so a `PATCH` racing the scheduler never starts a
//! due run twice; the change is then tried again on what was just claimed.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use crawler_core::time::now_ms;
use crawler_core::{JobId, JobSpec};
use crawler_scheduler::{Run, RunOutcome, Schedule, ScheduleId};
use serde::Serialize;

use super::query_map;
use super::schedule_view::{
    run_view, schedule_view, schedule_with_runs, store_error, RunView, ScheduleView,
};
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::launch;
use crate::scheduling::JobLauncher;
use crate::validate::schedule::{change, NewSchedule};

/// How often a `PATCH` re-reads a schedule the scheduler moved under it before giving up.
const PATCH_ATTEMPTS: usize = 5;

/// The 201 answer of a scheduled submission.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Created {
    #[serde(flatten)]
    schedule: ScheduleView,
    /// The crawl a run-once schedule started with the submission.
    #[serde(skip_serializing_if = "Option::is_none")]
    job_id: Option<JobId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status_url: Option<String>,
    /// The secret every run's webhooks are signed with, generated when the job had none.
    webhook_secret: Option<String>,
}

/// Stores a validated scheduled job, submitted at `now` (the time its trigger was built
/// from). A run-once schedule that is enabled starts its crawl now, as part of the
/// submission; every other one starts at its first due time.
pub async fn create(
    app: &AppState,
    owner: String,
    spec: JobSpec,
    new: NewSchedule,
    now: u64,
) -> Result<Response, ApiError> {
    let mut schedule = Schedule::new(owner, new.name, spec, new.trigger, now);
    schedule.enabled = new.enabled;
    let store = &app.services.schedules;
    let mut started = None;
    if schedule.enabled && !schedule.trigger.is_recurring() {
        // Started before it is stored, so a crawl that cannot start leaves no schedule.
        let launched =
            launch::start_job(app, schedule.owner.clone(), schedule.spec.clone()).await?;
        schedule.next_run_ms = None;
        store.put(&schedule).await.map_err(store_error)?;
        let job_id = launched.record.job_id;
        let run = Run {
            due_at_ms: now,
            started_at_ms: now,
            outcome: RunOutcome::Started { job_id },
        };
        store
            .record_run(schedule.id, &run)
            .await
            .map_err(store_error)?;
        started = Some(job_id);
    } else {
        store.put(&schedule).await.map_err(store_error)?;
    }
    tracing::info!(schedule = %schedule.id, job = ?started, "schedule created");
    let view = schedule_with_runs(app, &schedule).await?;
    let location = view.url.clone();
    let answer = Created {
        job_id: started,
        status_url: started.map(|job| app.status_url(&job)),
        webhook_secret: schedule.spec.callback.as_ref().map(|c| c.secret.clone()),
        schedule: view,
    };
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(answer),
    )
        .into_response())
}

#[derive(Serialize)]
pub struct ScheduleList {
    schedules: Vec<ScheduleView>,
}

/// `GET /v1/schedules`: the caller's schedules, oldest first, without their runs.
pub async fn list(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Json<ScheduleList>, ApiError> {
    let caller = app.caller(&headers, &query_map(query.as_deref()))?;
    let schedules = app
        .services
        .schedules
        .list(&caller.owner)
        .await
        .map_err(store_error)?;
    Ok(Json(ScheduleList {
        schedules: schedules.iter().map(|s| schedule_view(&app, s)).collect(),
    }))
}

/// `GET /v1/schedules/{id}`: the schedule, its next run and its latest runs.
pub async fn get(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Json<ScheduleView>, ApiError> {
    let caller = app.caller(&headers, &query_map(query.as_deref()))?;
    let schedule = owned(&app, &caller, &id).await?;
    Ok(Json(schedule_with_runs(&app, &schedule).await?))
}

/// `PATCH /v1/schedules/{id}`: `name`, `enabled`, and `interval` or `cron` (with
/// `timezone`). A new trigger counts from now.
pub async fn patch(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ScheduleView>, ApiError> {
    let caller = app.caller(&headers, &query_map(query.as_deref()))?;
    let mut schedule = owned(&app, &caller, &id).await?;
    let now = now_ms();
    let change = change(&json_body(body)?, now)?;
    for _ in 0..PATCH_ATTEMPTS {
        let read_next = schedule.next_run_ms;
        if let Some(name) = &change.name {
            schedule.name = name.clone();
        }
        if let Some(trigger) = &change.trigger {
            schedule.set_trigger(trigger.clone(), now);
        }
        if let Some(enabled) = change.enabled {
            schedule.set_enabled(enabled, now);
        }
        let store = &app.services.schedules;
        if store
            .replace(&schedule, read_next)
            .await
            .map_err(store_error)?
        {
            tracing::info!(schedule = %schedule.id, "schedule changed");
            return Ok(Json(schedule_with_runs(&app, &schedule).await?));
        }
        // A run was claimed (or the schedule deleted) since it was read: read it again.
        schedule = owned(&app, &caller, &id).await?;
    }
    Err(ApiError::new(
        StatusCode::CONFLICT,
        None,
        "the schedule kept changing while it was being updated; try again",
    ))
}

/// `DELETE /v1/schedules/{id}`: no further runs; crawls already started go on.
pub async fn delete(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<StatusCode, ApiError> {
    let caller = app.caller(&headers, &query_map(query.as_deref()))?;
    let schedule = owned(&app, &caller, &id).await?;
    let store = &app.services.schedules;
    if !store.delete(schedule.id).await.map_err(store_error)? {
        return Err(no_such_schedule());
    }
    tracing::info!(schedule = %schedule.id, "schedule deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v1/schedules/{id}/run`: starts a run now, outside the schedule's times (which it
/// leaves as they are). Like a due run it is skipped while the previous run is still
/// running, and it is recorded in the run log either way.
pub async fn run_now(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let caller = app.caller(&headers, &query_map(query.as_deref()))?;
    let schedule = owned(&app, &caller, &id).await?;
    if !schedule.enabled {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            Some("enabled"),
            "the schedule is disabled; enable it to run it",
        ));
    }
    let now = now_ms();
    let launcher = JobLauncher::new(app.clone());
    let store = app.services.schedules.as_ref();
    let run = crawler_scheduler::tick::launch_and_record(store, &launcher, &schedule, now, now)
        .await
        .map_err(store_error)?;
    let view: RunView = run_view(&app, &run).await?;
    match run.outcome {
        RunOutcome::Started { .. } => Ok((StatusCode::CREATED, Json(view)).into_response()),
        RunOutcome::Skipped { reason } => Err(ApiError::new(StatusCode::CONFLICT, None, reason)),
        RunOutcome::Failed { reason } => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            None,
            format!("the crawl could not be started: {reason}"),
        )),
    }
}

fn no_such_schedule() -> ApiError {
    ApiError::not_found("no such schedule")
}

/// The schedule `caller` owns under `raw_id`, or 404.
async fn owned(app: &AppState, caller: &Caller, raw_id: &str) -> Result<Schedule, ApiError> {
    let id: ScheduleId = raw_id.parse().map_err(|_| no_such_schedule())?;
    match app.services.schedules.get(id).await.map_err(store_error)? {
        Some(schedule) if schedule.owner == caller.owner => Ok(schedule),
        _ => Err(no_such_schedule()),
    }
}

fn json_body(body: Result<Bytes, BytesRejection>) -> Result<serde_json::Value, ApiError> {
    let bytes = body.map_err(|rejection| {
        ApiError::bad_request(
            "body",
            format!("the request body could not be read: {rejection}"),
        )
    })?;
    if bytes.is_empty() {
        return Ok(serde_json::Value::Object(Default::default()));
    }
    serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::bad_request("body", format!("the request body is not valid JSON: {e}"))
    })
}
