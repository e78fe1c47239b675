//! The summary waits for the job's page events.
//!
//! A receiver must never see `crawl.finished` before a page event it will get, yet the
//! summary can overtake page events: several dispatchers work side by side, and a page
//! event may be waiting in a retry delay. So the summary is sent only once every page
//! event of the job is settled: delivered, dead-lettered, or needing no delivery (filtered
//! out). The summary knows how many page events there are: one per completed and per
//! failed URL; cancelled URLs get none.
//!
//! Until then the summary is put back with a short delay, which is not counted as an
//! attempt. It is held at most `summary_hold_max` (default 10 minutes) from its creation:
//! a page event retried on the long schedule (or lost by a bug, or a count that does not
//! match) must not keep the summary from a receiver for a day; a late summary, sent ahead
//! of a straggler, is better than none.

use std::time::Duration;

use crawler_core::time::now_ms;
use crawler_core::{EventEnvelope, SummaryEvent};

use crawler_deliveries::{DeliveryStore, StoreError};

/// How long a waiting summary sits in the delay queue before it looks again.
pub const SUMMARY_RECHECK: Duration = Duration::from_millis(500);

/// The number of page events a job produced, as its summary tells.
pub fn expected_page_events(summary: &SummaryEvent) -> u64 {
    (summary.completed.len() + summary.failed.len()) as u64
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SummaryGate {
    /// Every page event is settled.
    Go,
    /// Some are not; look again after [`SUMMARY_RECHECK`].
    Wait,
    /// Some are not, but the summary was held for `hold_max`: send it anyway.
    HeldLongEnough,
}

/// Decides whether a summary may be sent now. The hold is counted from the summary's
/// creation (a replay creates it anew), so a summary that arrives before any page event
/// still waits for them, and never longer than `hold_max`.
pub fn summary_gate(
    expected: u64,
    settled: u64,
    summary_created_ms: u64,
    now_ms: u64,
    hold_max: Duration,
) -> SummaryGate {
    if settled >= expected {
        return SummaryGate::Go;
    }
    let hold_ms = u64::try_from(hold_max.as_millis()).unwrap_or(u64::MAX);
    if now_ms.saturating_sub(summary_created_ms) >= hold_ms {
        SummaryGate::HeldLongEnough
    } else {
        SummaryGate::Wait
    }
}

/// Whether the summary in `envelope` may be sent now, by how many of the job's page
/// events are settled in `store`; a summary held long enough is logged and goes.
pub async fn summary_may_go(
    store: &dyn DeliveryStore,
    envelope: &EventEnvelope,
    summary: &SummaryEvent,
    hold_max: Duration,
) -> Result<bool, StoreError> {
    let settled = store.settled_count(envelope.job_id).await?;
    let expected = expected_page_events(summary);
    let gate = summary_gate(
        expected,
        settled,
        envelope.created_at_ms,
        now_ms(),
        hold_max,
    );
    match gate {
        SummaryGate::Go => Ok(true),
        SummaryGate::Wait => Ok(false),
        SummaryGate::HeldLongEnough => {
            tracing::warn!(
                job = %envelope.job_id,
                settled,
                expected,
                "page events still unsettled after summary_hold_max; sending the summary anyway"
            );
            Ok(true)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOLD: Duration = Duration::from_secs(600);

    #[test]
    fn waits_until_every_page_event_is_settled() {
        assert_eq!(summary_gate(3, 2, 1_000, 2_000, HOLD), SummaryGate::Wait);
        assert_eq!(summary_gate(3, 3, 1_000, 2_000, HOLD), SummaryGate::Go);
        assert_eq!(summary_gate(0, 0, 1_000, 1_000, HOLD), SummaryGate::Go);
    }

    #[test]
    fn holds_at_most_summary_hold_max_from_its_creation() {
        let created = 10_000_000;
        assert_eq!(
            summary_gate(5, 4, created, created + 599_000, HOLD),
            SummaryGate::Wait
        );
        assert_eq!(
            summary_gate(5, 0, created, created + 600_000, HOLD),
            SummaryGate::HeldLongEnough
        );
    }
}
