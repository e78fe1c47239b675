//! Starting a validated job: store it, admit its seeds, queue their tasks. Submissions and
//! scheduled runs both start jobs here.
//!
//! Once stored, the job exists only if its seed tasks are queued: when the publish fails,
//! the job is ended as cancelled before the caller hears of the failure, so that no job
//! waits forever on a task that was never sent.

use crawler_core::{FetchTask, JobId, JobRecord, JobSpec, StopReason};
use crawler_state::PageOutcome;

use crate::app::AppState;
use crate::error::ApiError;

/// A job that was stored and seeded.
pub struct Launched {
    pub record: JobRecord,
    /// Seed URLs admitted (and queued).
    pub pending: u64,
}

/// Stores a new job of `owner` for `spec` and queues its seed tasks.
pub async fn start_job(app: &AppState, owner: String, spec: JobSpec) -> Result<Launched, ApiError> {
    let record = new_record(app, owner, spec);
    let started = std::time::Instant::now();
    let seeds = app.services.state.create_job(&record).await?;
    let stored = started.elapsed();
    let pending = seeds.len() as u64;
    seed(app, &record, seeds).await?;
    tracing::debug!(job = %record.job_id, seeds = pending, ?stored, queued = ?(started.elapsed() - stored), "job launched");
    Ok(Launched { record, pending })
}

fn new_record(app: &AppState, owner: String, spec: JobSpec) -> JobRecord {
    let now = crawler_core::time::now_ms();
    // An async job's items take their ids from the job's (crawler_core::async_job).
    let job_id = if spec.kind.rules().seeds_are_jobs {
        JobId::generate_for_items()
    } else {
        JobId::generate()
    };
    JobRecord {
        job_id,
        owner,
        cost_per_page: app.rules.cost_per_page,
        created_at_ms: now,
        deadline_ms: now.saturating_add(spec.timeout_sec.saturating_mul(1000)),
        spec,
    }
}

/// Publishes the seed tasks the job's creation admitted, or ends the job if that fails.
async fn seed(app: &AppState, record: &JobRecord, seeds: Vec<FetchTask>) -> Result<(), ApiError> {
    let Err(error) = app.fetch_queue.publish(seeds.iter().cloned()).await else {
        return Ok(());
    };
    tracing::warn!(job = %record.job_id, %error, "could not queue the seed tasks; cancelling the job");
    cancel_unseeded(app, record.job_id, &seeds).await;
    Err(ApiError::unavailable("work queue", &error))
}

/// Ends a job whose seed tasks may not have been queued: stops it, then records and
/// closes every seed as cancelled, so the job ends rather than waiting on them.
///
/// Best effort: the client is told the job failed to start either way, and a job left
/// half-ended here still stops at its deadline.
pub(crate) async fn cancel_unseeded(app: &AppState, job: JobId, seeds: &[FetchTask]) {
    let state = &app.services.state;
    if let Err(e) = state.request_stop(job, StopReason::Cancelled).await {
        tracing::warn!(%job, error = %e, "could not stop the unseeded job");
        return;
    }
    for task in seeds {
        let url = task.url.as_str();
        if let Err(e) = state
            .record_outcome(job, url, &PageOutcome::Cancelled)
            .await
        {
            tracing::warn!(%job, %url, error = %e, "could not cancel an unseeded URL");
            return;
        }
        if let Err(e) = state.close_task(job, url, task.depth).await {
            tracing::warn!(%job, %url, error = %e, "could not close an unseeded URL");
            return;
        }
    }
}
