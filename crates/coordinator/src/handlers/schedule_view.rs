//! How a schedule and its runs look to its owner: the JSON of every `/v1/schedules`
//! answer and of a scheduled submission.

use crawler_core::{JobId, JobSpec, JobState};
use crawler_scheduler::{Run, RunOutcome, Schedule, ScheduleError, ScheduleId, Trigger};
use serde::Serialize;

use crate::app::AppState;
use crate::error::ApiError;

/// A schedule as its owner sees it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleView {
    pub id: ScheduleId,
    pub name: String,
    pub enabled: bool,
    #[serde(flatten)]
    pub when: When,
    /// When the next run is due (Unix ms); `null` when none is (a run-once schedule that
    /// ran, a disabled one keeps its time but starts nothing).
    pub next_run_at: Option<u64>,
    pub created_at: u64,
    /// Where to read, change or delete it.
    pub url: String,
    /// What each run crawls: the job as validated.
    pub job: JobSpec,
    /// The latest runs, newest first; only in the answers about one schedule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runs: Option<Vec<RunView>>,
}

/// When it runs: `interval` or `cron`, each with its `timezone`.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct When {
    pub interval: Option<&'static str>,
    pub cron: Option<String>,
    pub timezone: Option<String>,
    /// Only for schedules stored with a raw interval by an operator.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval_ms: Option<u64>,
}

impl When {
    fn of(trigger: &Trigger) -> Self {
        match trigger {
            Trigger::Interval { every_ms } => When {
                interval_ms: Some(*every_ms),
                ..When::default()
            },
            Trigger::Once { .. } => When {
                interval: Some("once"),
                ..When::default()
            },
            Trigger::Calendar {
                every, timezone, ..
            } => When {
                interval: Some(every.as_str()),
                timezone: timezone.clone(),
                ..When::default()
            },
            Trigger::Cron {
                expression,
                timezone,
            } => When {
                cron: Some(expression.clone()),
                timezone: timezone.clone(),
                ..When::default()
            },
        }
    }
}

/// One run: the job it started and that job's state now, or why it started none.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunView {
    /// The due time it was for (Unix ms).
    pub due_at: u64,
    /// When it was handled (Unix ms).
    pub started_at: u64,
    /// `started`, `skipped` or `failed`.
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_id: Option<JobId>,
    /// The started job's state now; absent once the job's record has expired.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_state: Option<JobState>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The view of `schedule`, without its runs.
pub fn schedule_view(app: &AppState, schedule: &Schedule) -> ScheduleView {
    ScheduleView {
        id: schedule.id,
        name: schedule.name.clone(),
        enabled: schedule.enabled,
        when: When::of(&schedule.trigger),
        next_run_at: schedule.next_run_ms,
        created_at: schedule.created_at_ms,
        url: schedule_url(app, schedule.id),
        job: schedule.spec.clone(),
        runs: None,
    }
}

/// The view of `schedule` with its runs and their jobs' states.
pub async fn schedule_with_runs(
    app: &AppState,
    schedule: &Schedule,
) -> Result<ScheduleView, ApiError> {
    let runs = app
        .services
        .schedules
        .runs(schedule.id)
        .await
        .map_err(store_error)?;
    let mut views = Vec::with_capacity(runs.len());
    for run in &runs {
        views.push(run_view(app, run).await?);
    }
    let mut view = schedule_view(app, schedule);
    view.runs = Some(views);
    Ok(view)
}

/// The view of one run, with its job's state read now.
pub async fn run_view(app: &AppState, run: &Run) -> Result<RunView, ApiError> {
    let mut view = RunView {
        due_at: run.due_at_ms,
        started_at: run.started_at_ms,
        status: "started",
        job_id: None,
        job_state: None,
        status_url: None,
        reason: None,
    };
    match &run.outcome {
        RunOutcome::Started { job_id } => {
            let status = app.services.state.status(*job_id).await?;
            view.job_id = Some(*job_id);
            view.job_state = status.map(|s| s.job_state);
            view.status_url = Some(app.status_url(job_id));
        }
        RunOutcome::Skipped { reason } => {
            view.status = "skipped";
            view.reason = Some(reason.clone());
        }
        RunOutcome::Failed { reason } => {
            view.status = "failed";
            view.reason = Some(reason.clone());
        }
    }
    Ok(view)
}

pub fn schedule_url(app: &AppState, id: ScheduleId) -> String {
    format!("{}/v1/schedules/{id}", app.public_base_url)
}

/// A schedule store error as the client sees it.
pub fn store_error(error: ScheduleError) -> ApiError {
    if error.is_transient() {
        ApiError::unavailable("schedule store", &error)
    } else {
        ApiError::internal(&error)
    }
}
