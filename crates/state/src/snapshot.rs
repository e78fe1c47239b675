//! What both backends read back: the counters of a job and the outcome stored per page,
//! and the one place that turns them into a [`JobStatus`] or a [`SummaryEvent`].
//!
//! Keeping these rules here, rather than in each backend, is what makes the Redis and the
//! in-memory store answer identically: the backends differ only in how they store the
//! pieces, never in what the pieces mean.

use crawler_core::{
    CompletedUrl, FailedUrl, FetchTask, JobRecord, JobState, JobStatus, StopReason, SummaryEvent,
};
use serde::{Deserialize, Serialize};

use crate::PageOutcome;

/// A job's counters and lifecycle flags, as one consistent snapshot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct JobCounters {
    pub pending: u64,
    pub completed: u64,
    pub failed: u64,
    pub cancelled: u64,
    /// Credits spent on finished pages.
    pub cost: u64,
    pub ended: bool,
    /// The first stop requested, if any.
    pub stop_reason: Option<StopReason>,
    pub finished_at: Option<u64>,
    /// Continuations so far; the summary's `round`.
    pub round: u32,
}

/// What `record_outcome` decided for one URL, kept so a repeated call answers the same.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StoredOutcome {
    pub outcome: PageOutcome,
    pub credits: u64,
    pub current_cost: u64,
    pub promoted: Vec<FetchTask>,
}

impl StoredOutcome {
    /// The outcome without its promotions, which a replay republishes with the links.
    pub fn recorded(&self) -> crate::RecordedOutcome {
        crate::RecordedOutcome {
            outcome: self.outcome.clone(),
            credits: self.credits,
            current_cost: self.current_cost,
        }
    }
}

/// The state and reason users see for an ended job.
///
/// A cancel or timeout wins over everything; otherwise URLs left in the overflow list
/// mean the budget ran out, and an empty one means everything reachable was crawled.
pub(crate) fn final_state(
    stop_reason: Option<StopReason>,
    overflow_len: u64,
) -> (JobState, StopReason) {
    match stop_reason {
        Some(StopReason::Cancelled) => (JobState::Cancelled, StopReason::Cancelled),
        Some(StopReason::Timeout) => (JobState::Cancelled, StopReason::Timeout),
        Some(other) => (JobState::Finished, other),
        None if overflow_len > 0 => (JobState::Finished, StopReason::Budget),
        None => (JobState::Finished, StopReason::Exhausted),
    }
}

pub(crate) fn build_status(
    record: &JobRecord,
    counters: &JobCounters,
    overflow_len: u64,
) -> JobStatus {
    let (job_state, stop_reason, cancelled) = if counters.ended {
        let (state, reason) = final_state(counters.stop_reason, overflow_len);
        // URLs still in the overflow list when the job ended were never fetched: users
        // count them as cancelled, as the summary lists them.
        (state, Some(reason), counters.cancelled + overflow_len)
    } else {
        (JobState::Running, counters.stop_reason, counters.cancelled)
    };
    JobStatus {
        job_id: record.job_id,
        job_state,
        stop_reason,
        start_url: record.spec.start_url.clone(),
        completed: counters.completed,
        failed: counters.failed,
        cancelled,
        pending: counters.pending,
        job_cost: counters.cost,
        crawl_budget: record.spec.crawl_budget,
        meta: record.spec.meta.clone(),
        created_at: record.created_at_ms,
        finished_at: counters.finished_at,
    }
}

/// Builds the summary from the outcomes in the order they were recorded and the URLs
/// still in the overflow list.
pub(crate) fn build_summary<'a>(
    record: &JobRecord,
    counters: &JobCounters,
    outcomes: impl IntoIterator<Item = (&'a str, &'a StoredOutcome)>,
    overflow_urls: Vec<String>,
) -> SummaryEvent {
    let mut completed = Vec::new();
    let mut failed = Vec::new();
    let mut cancelled = Vec::new();
    for (url, stored) in outcomes {
        match &stored.outcome {
            PageOutcome::Finished => completed.push(CompletedUrl {
                url: url.to_owned(),
                cost: stored.credits,
            }),
            PageOutcome::Failed { reason } => failed.push(FailedUrl {
                url: url.to_owned(),
                fail_reason: reason.clone(),
            }),
            PageOutcome::Cancelled => cancelled.push(url.to_owned()),
        }
    }
    let (job_state, stop_reason) = if counters.ended {
        let overflow_len = overflow_urls.len() as u64;
        cancelled.extend(overflow_urls);
        final_state(counters.stop_reason, overflow_len)
    } else {
        (
            JobState::Running,
            counters.stop_reason.unwrap_or(StopReason::Exhausted),
        )
    };
    SummaryEvent {
        job_id: record.job_id,
        job_state,
        job_cost: counters.cost,
        completed,
        cancelled,
        failed,
        crawl_budget: record.spec.crawl_budget,
        stop_reason,
        start_url: record.spec.start_url.clone(),
        meta: record.spec.meta.clone(),
        finished_at: counters.finished_at,
        round: counters.round,
        name: record.spec.name.clone(),
        custom_id: record.spec.custom_id.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancel_and_timeout_win_over_a_full_budget() {
        assert_eq!(
            final_state(Some(StopReason::Timeout), 3),
            (JobState::Cancelled, StopReason::Timeout)
        );
        assert_eq!(
            final_state(Some(StopReason::Cancelled), 0),
            (JobState::Cancelled, StopReason::Cancelled)
        );
        assert_eq!(
            final_state(None, 1),
            (JobState::Finished, StopReason::Budget)
        );
        assert_eq!(
            final_state(None, 0),
            (JobState::Finished, StopReason::Exhausted)
        );
    }
}
