//! `crawler watch`: polls a job's status into the progress display until it ends.
//!
//! A polling client never sees the summary webhook, so the end is shown from the last
//! status, in the same block format as an embedded crawl's summary.

use std::time::Duration;

use crawler_core::{JobState, JobStatus};
use tokio::time::MissedTickBehavior;

use super::api::ApiClient;
use super::error::ClientError;
use crate::progress::{Progress, ProgressView};

/// How often the status is read: fast enough for a lively bar, slow enough that many
/// watchers do not load the coordinator.
pub const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// Failed polls in a row tolerated once the job was seen, so that a coordinator restart
/// or a network blip does not end the watch; about five seconds at the usual interval.
const TOLERATED_FAILED_POLLS: u32 = 10;

/// The exit status for a job's final state: 0 finished, 3 cancelled or failed.
pub fn exit_status(state: JobState) -> u8 {
    match state {
        JobState::Finished => 0,
        JobState::Cancelled | JobState::Failed => 3,
        // Not reached by `watch`, which returns only once the job ended.
        JobState::Running => 1,
    }
}

pub fn view_of(status: &JobStatus) -> ProgressView {
    ProgressView {
        completed: status.completed,
        failed: status.failed,
        pending: status.pending,
        cost: status.job_cost,
        budget: status.crawl_budget,
    }
}

/// Polls until the job is no longer running and answers its last status.
pub async fn watch(
    client: &ApiClient,
    job: &str,
    progress: &Progress,
    interval: Duration,
) -> Result<JobStatus, ClientError> {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut seen = false;
    let mut failed_polls = 0;
    loop {
        ticker.tick().await;
        match client.status(job).await {
            Ok(status) => {
                seen = true;
                failed_polls = 0;
                progress.update(&view_of(&status));
                if status.job_state != JobState::Running {
                    return Ok(status);
                }
            }
            // The first poll fails at once: a wrong address or key should not look like
            // a job that is slow to start.
            Err(error @ (ClientError::Unreachable { .. } | ClientError::Failed { .. }))
                if seen && failed_polls < TOLERATED_FAILED_POLLS =>
            {
                if failed_polls == 0 {
                    progress.println(&format!("warning: {error}; retrying"));
                }
                failed_polls += 1;
            }
            Err(error) => return Err(error),
        }
    }
}
