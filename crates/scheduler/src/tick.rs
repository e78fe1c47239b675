//! The tick loop: every tick, take or renew the lease, and if held, start each due run.
//!
//! Any number of processes may run [`run`] against one store. The lease makes one of them
//! do the work; the per-run claim ([`ScheduleStore::claim_run`]) makes sure that even two
//! loops that both believe they hold the lease start a due run once (see the crate docs).
//! [`tick_once`] is one step of the loop, public so that tests drive it with a
//! [`crate::ManualClock`] instead of waiting for due times.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use crawler_core::JobId;
use tokio::time::MissedTickBehavior;

use crate::clock::Clock;
use crate::schedule::{Run, RunOutcome, Schedule};
use crate::store::ScheduleStore;
use crate::ScheduleError;

/// How the tick loop paces itself and names itself to the lease.
#[derive(Debug, Clone)]
pub struct TickConfig {
    /// How often the loop looks for due runs: the most a run starts late, in the normal
    /// case.
    pub tick_interval: Duration,
    /// How long a lease lasts without renewal: how long due runs wait when its holder
    /// stops without releasing it. Several ticks long, so that one slow tick does not
    /// hand the lease over while its holder is still working.
    pub lease_ttl: Duration,
    /// This loop's name in the lease; unique per process.
    pub holder: String,
    /// The most due schedules one tick handles; the rest wait for the next tick, so one
    /// tick cannot outlast the lease.
    pub batch: usize,
}

impl Default for TickConfig {
    fn default() -> Self {
        TickConfig {
            tick_interval: Duration::from_secs(1),
            lease_ttl: Duration::from_secs(10),
            holder: format!("scheduler-{}", uuid::Uuid::new_v4()),
            batch: 100,
        }
    }
}

/// Why a launch did not start a crawl.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LaunchError {
    /// Not started on purpose (say, the previous run is still going); recorded as skipped.
    #[error("run skipped: {0}")]
    Skip(String),
    /// Starting the crawl failed; recorded as failed.
    #[error("launch failed: {0}")]
    Failed(String),
}

/// Starts the crawl of one due run. The coordinator implements it by submitting the
/// schedule's spec as a new job.
#[async_trait]
pub trait Launcher: Send + Sync {
    /// Starts a crawl of `schedule.spec`. `schedule.next_run_ms` is the due time of the run
    /// being started. Called once per claimed run, never retried: a failure is recorded
    /// and the schedule goes on with its next due time.
    async fn launch(&self, schedule: &Schedule) -> Result<JobId, LaunchError>;
}

/// What one tick did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TickReport {
    /// Whether this loop held the lease; a loop without it looks at nothing.
    pub holds_lease: bool,
    pub started: usize,
    pub skipped: usize,
    pub failed: usize,
}

/// One step of the loop: acquire or renew the lease and, when held, claim and start every
/// due run (up to `config.batch`).
///
/// A store error ends the tick early; runs claimed before it have been started and
/// recorded, and the rest are found again by the next tick.
pub async fn tick_once(
    store: &dyn ScheduleStore,
    launcher: &dyn Launcher,
    clock: &dyn Clock,
    config: &TickConfig,
) -> Result<TickReport, ScheduleError> {
    let mut report = TickReport::default();
    if !store
        .acquire_lease(&config.holder, config.lease_ttl)
        .await?
    {
        return Ok(report);
    }
    report.holds_lease = true;
    let now_ms = clock.now_ms();
    for schedule in store.due(now_ms, config.batch).await? {
        let Some(due_at_ms) = schedule.next_run_ms else {
            continue;
        };
        let next_run_ms = schedule.trigger.next_after(due_at_ms, now_ms);
        // Only the claim's winner starts the run; a loser was beaten by another tick.
        if !store.claim_run(schedule.id, due_at_ms, next_run_ms).await? {
            continue;
        }
        let run = launch_and_record(store, launcher, &schedule, due_at_ms, now_ms).await?;
        match run.outcome {
            RunOutcome::Started { .. } => report.started += 1,
            RunOutcome::Skipped { .. } => report.skipped += 1,
            RunOutcome::Failed { .. } => report.failed += 1,
        }
    }
    Ok(report)
}

/// Starts one run of `schedule`, due at `due_at_ms` and handled at `now_ms`, and records
/// it in the schedule's log. The tick calls it for each run it claimed; the API calls it to
/// start a run at once (a run-now request), which claims nothing because it is no due time.
pub async fn launch_and_record(
    store: &dyn ScheduleStore,
    launcher: &dyn Launcher,
    schedule: &Schedule,
    due_at_ms: u64,
    now_ms: u64,
) -> Result<Run, ScheduleError> {
    let outcome = launch(launcher, schedule).await;
    let run = Run {
        due_at_ms,
        started_at_ms: now_ms,
        outcome,
    };
    store.record_run(schedule.id, &run).await?;
    Ok(run)
}

/// Calls the launcher and says what came of it.
async fn launch(launcher: &dyn Launcher, schedule: &Schedule) -> RunOutcome {
    match launcher.launch(schedule).await {
        Ok(job_id) => {
            tracing::info!(schedule = %schedule.id, job = %job_id, "scheduled crawl started");
            RunOutcome::Started { job_id }
        }
        Err(LaunchError::Skip(reason)) => {
            tracing::info!(schedule = %schedule.id, %reason, "scheduled run skipped");
            RunOutcome::Skipped { reason }
        }
        Err(LaunchError::Failed(reason)) => {
            tracing::warn!(schedule = %schedule.id, %reason, "scheduled crawl failed to start");
            RunOutcome::Failed { reason }
        }
    }
}

/// Ticks every `config.tick_interval` until `shutdown` completes, then releases the lease
/// so another process takes over at once instead of after the TTL.
///
/// Transient store errors (Redis restarting, a timeout) are logged and the next tick tries
/// again. Any other store error (a corrupt record, a script error) ends the loop with it:
/// it would fail again on every tick, and stopping says so louder than a log line would.
pub async fn run(
    store: Arc<dyn ScheduleStore>,
    launcher: Arc<dyn Launcher>,
    clock: Arc<dyn Clock>,
    config: TickConfig,
    shutdown: impl Future,
) -> Result<(), ScheduleError> {
    let mut ticker = tokio::time::interval(config.tick_interval);
    // After a stall, one tick catches up on everything due; a burst of ticks would not.
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    tokio::pin!(shutdown);
    let result = loop {
        // Shutdown is only looked at between ticks: a tick cut short between a claim and
        // its launch would lose that run.
        tokio::select! {
            biased;
            _ = &mut shutdown => break Ok(()),
            _ = ticker.tick() => {}
        }
        match tick_once(store.as_ref(), launcher.as_ref(), clock.as_ref(), &config).await {
            Ok(_) => {}
            Err(err) if err.is_transient() => {
                tracing::warn!(error = %err, "schedule tick failed; retrying next tick");
            }
            Err(err) => break Err(err),
        }
    };
    if let Err(err) = store.release_lease(&config.holder).await {
        tracing::warn!(error = %err, "could not release the schedule lease; it expires by itself");
    }
    result
}
