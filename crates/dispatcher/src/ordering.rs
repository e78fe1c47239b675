//! The summary waits for the job's page events.
//!
//! A receiver must never see `crawl.finished` before a page that was delivered fine, yet
//! the summary can overtake page events in the queue: several dispatchers work side by
//! side, and a page event may be waiting in a retry delay. So the summary is sent only once
//! every page event of the job has had its first attempt (or was filtered out or
//! dead-lettered at once). The summary knows how many page events there are: one per
//! completed and per failed URL; cancelled URLs get none.
//!
//! Until then the summary is put back with a short delay, which is not counted as an
//! attempt. If the count stops growing for a long time (a page event lost by a bug, or a
//! count that does not match), the summary goes anyway: a late summary is better than
//! none.

use std::time::Duration;

use crawler_core::time::now_ms;
use crawler_core::{EventEnvelope, SummaryEvent};

use crawler_deliveries::{DeliveryStore, FirstAttempts, StoreError};

/// How long a waiting summary sits in the delay queue before it looks again.
pub const SUMMARY_RECHECK: Duration = Duration::from_millis(500);

/// The number of page events a job produced, as its summary tells.
pub fn expected_page_events(summary: &SummaryEvent) -> u64 {
    (summary.completed.len() + summary.failed.len()) as u64
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SummaryGate {
    /// Every page event had its first attempt.
    Go,
    /// Some have not; look again after [`SUMMARY_RECHECK`].
    Wait,
    /// Some have not, but nothing moved for `stall_limit`: send it anyway.
    Stalled,
}

/// Decides whether a summary may be sent now. Progress is measured from the later of the
/// last first attempt and the summary's creation, so a summary that arrives before any
/// page event still waits for them.
pub fn summary_gate(
    expected: u64,
    progress: FirstAttempts,
    summary_created_ms: u64,
    now_ms: u64,
    stall_limit: Duration,
) -> SummaryGate {
    if progress.done >= expected {
        return SummaryGate::Go;
    }
    let since = progress.last_progress_ms.max(summary_created_ms);
    let stall_ms = u64::try_from(stall_limit.as_millis()).unwrap_or(u64::MAX);
    if now_ms.saturating_sub(since) > stall_ms {
        SummaryGate::Stalled
    } else {
        SummaryGate::Wait
    }
}

/// Whether the summary in `envelope` may be sent now, by the job's first-attempt progress
/// in `store`; a stalled wait is logged and lets the summary go.
pub async fn summary_may_go(
    store: &dyn DeliveryStore,
    envelope: &EventEnvelope,
    summary: &SummaryEvent,
    stall_limit: Duration,
) -> Result<bool, StoreError> {
    let progress = store.first_attempts(envelope.job_id).await?;
    let expected = expected_page_events(summary);
    let gate = summary_gate(
        expected,
        progress,
        envelope.created_at_ms,
        now_ms(),
        stall_limit,
    );
    match gate {
        SummaryGate::Go => Ok(true),
        SummaryGate::Wait => Ok(false),
        SummaryGate::Stalled => {
            tracing::warn!(
                job = %envelope.job_id,
                done = progress.done,
                expected,
                "page events stopped progressing; sending the summary anyway"
            );
            Ok(true)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: Duration = Duration::from_secs(600);

    fn progress(done: u64, last_progress_ms: u64) -> FirstAttempts {
        FirstAttempts {
            done,
            last_progress_ms,
        }
    }

    #[test]
    fn waits_until_every_page_event_had_its_first_attempt() {
        assert_eq!(
            summary_gate(3, progress(2, 1_000), 1_000, 2_000, LIMIT),
            SummaryGate::Wait
        );
        assert_eq!(
            summary_gate(3, progress(3, 1_000), 1_000, 2_000, LIMIT),
            SummaryGate::Go
        );
        assert_eq!(
            summary_gate(0, progress(0, 0), 1_000, 1_000, LIMIT),
            SummaryGate::Go
        );
    }

    #[test]
    fn a_summary_ahead_of_all_its_pages_waits_from_its_own_creation() {
        let created = 5_000_000;
        assert_eq!(
            summary_gate(2, progress(0, 0), created, created + 1, LIMIT),
            SummaryGate::Wait
        );
    }

    #[test]
    fn gives_up_waiting_only_after_no_progress_for_the_limit() {
        let t = 10_000_000;
        assert_eq!(
            summary_gate(5, progress(4, t), 0, t + 599_000, LIMIT),
            SummaryGate::Wait
        );
        assert_eq!(
            summary_gate(5, progress(4, t), 0, t + 601_000, LIMIT),
            SummaryGate::Stalled
        );
    }
}
