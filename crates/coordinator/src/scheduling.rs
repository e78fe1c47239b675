//! The scheduler inside the coordinator: a [`Launcher`] that starts a due run of a stored
//! schedule exactly as a submission starts a job, and the tick loop over the configured
//! schedule store. The loop runs in every coordinator by default (`scheduler_in_coordinator`)
//! or in the `scheduler` role; the store's lease lets one loop start runs at a time, and each
//! due run is claimed once, however many are running.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use crawler_core::{JobId, JobState};
use crawler_scheduler::{
    LaunchError, Launcher, RunOutcome, Schedule, ScheduleError, SystemClock, TickConfig,
};

use crate::app::AppState;
use crate::launch;

/// Starts scheduled runs as jobs of the schedule's owner.
pub struct JobLauncher {
    app: Arc<AppState>,
}

impl JobLauncher {
    pub fn new(app: Arc<AppState>) -> Self {
        JobLauncher { app }
    }
}

impl JobLauncher {
    /// The job of the schedule's latest started run, when it is still running: a new run
    /// then would crawl the same site twice at once, so it is skipped instead.
    async fn running_previous_job(
        &self,
        schedule: &Schedule,
    ) -> Result<Option<JobId>, LaunchError> {
        let unavailable = |error: &dyn std::fmt::Display| LaunchError::Failed(error.to_string());
        let runs = self
            .app
            .services
            .schedules
            .runs(schedule.id)
            .await
            .map_err(|e| unavailable(&e))?;
        let Some(previous) = runs.iter().find_map(|run| match run.outcome {
            RunOutcome::Started { job_id } => Some(job_id),
            _ => None,
        }) else {
            return Ok(None);
        };
        let status = self
            .app
            .services
            .state
            .status(previous)
            .await
            .map_err(|e| unavailable(&e))?;
        Ok(status
            .filter(|status| status.job_state == JobState::Running)
            .map(|_| previous))
    }
}

#[async_trait]
impl Launcher for JobLauncher {
    async fn launch(&self, schedule: &Schedule) -> Result<JobId, LaunchError> {
        if let Some(previous) = self.running_previous_job(schedule).await? {
            return Err(LaunchError::Skip(format!(
                "the previous run (job {previous}) is still running"
            )));
        }
        let launched = launch::start_job(&self.app, schedule.owner.clone(), schedule.spec.clone())
            .await
            .map_err(|error| LaunchError::Failed(error.message))?;
        tracing::info!(schedule = %schedule.id, job = %launched.record.job_id, "scheduled run started");
        Ok(launched.record.job_id)
    }
}

/// The tick loop's settings, from the configuration.
pub fn tick_config(app: &AppState) -> TickConfig {
    TickConfig {
        tick_interval: Duration::from_millis(app.settings.scheduler_tick_ms),
        lease_ttl: Duration::from_millis(app.settings.scheduler_lease_ms),
        ..TickConfig::default()
    }
}

/// Runs the scheduler over `app`'s schedule store until `shutdown` resolves.
pub async fn run_scheduler(
    app: Arc<AppState>,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ScheduleError> {
    let config = tick_config(&app);
    let store = app.services.schedules.clone();
    tracing::info!(holder = %config.holder, "scheduler running");
    crawler_scheduler::tick::run(
        store,
        Arc::new(JobLauncher::new(app)),
        Arc::new(SystemClock),
        config,
        shutdown,
    )
    .await
}
