//! The delivery log: every attempt of every event, kept twice so that both questions a user
//! asks can be answered by paging through one sequence: "what happened to this job's
//! webhooks" (per job) and "what did this endpoint receive" (per endpoint of a tenant).
//!
//! Each log numbers its entries 1, 2, 3... as they are appended; a page is the entries
//! after a cursor (the sequence number of the last entry the reader saw), oldest first.
//! An entry that was appended is never renumbered, so a reader following the cursor while
//! a crawl is still being delivered sees every entry once, and the entries that arrive
//! meanwhile on a later page. An endpoint's log is capped at [`ENDPOINT_LOG_CAP`] entries
//! (the oldest go first); a job's log lives as long as the job's other delivery records.

use crawler_core::{EventKind, JobId};
use serde::{Deserialize, Serialize};

use crate::records::Attempt;

/// Entries an endpoint's log keeps: an endpoint lives for months, a job's log does not.
pub const ENDPOINT_LOG_CAP: usize = 10_000;

/// The most entries one page holds.
pub const MAX_PAGE: usize = 500;

/// What an attempt (or a decision not to make one) led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoggedOutcome {
    /// The receiver accepted the event.
    Delivered,
    /// It failed; another try is scheduled (`retryInMs`).
    Retrying,
    /// It failed and the schedule is exhausted: the event is dead-lettered.
    Exhausted,
    /// No request was made: the endpoint is disabled, so the event is dead-lettered.
    EndpointDisabled,
}

/// One entry of the delivery log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogEntry {
    /// The entry's number in the log it was read from; the cursor of the next page. Set by
    /// the store when the entry is read.
    #[serde(default)]
    pub sequence: u64,
    /// Names the delivery (the event to its endpoint) for `POST /v1/deliveries/{id}/redeliver`;
    /// it is the event's `webhook-id`.
    pub delivery_id: String,
    pub job_id: JobId,
    pub event: EventKind,
    /// The page's URL, for page events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Where the request went.
    pub endpoint_url: String,
    #[serde(flatten)]
    pub attempt: Attempt,
    pub outcome: LoggedOutcome,
    /// The wait before the next try, when one is scheduled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_in_ms: Option<u64>,
}

/// Where a page of the log starts and how long it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogCursor {
    /// The sequence number of the last entry already seen; 0 from the start.
    pub after: u64,
    /// At most this many entries (clamped to 1..=[`MAX_PAGE`]).
    pub limit: usize,
}

impl LogCursor {
    pub fn start(limit: usize) -> Self {
        LogCursor { after: 0, limit }
    }

    pub(crate) fn clamped_limit(&self) -> usize {
        self.limit.clamp(1, MAX_PAGE)
    }
}

/// One page of a log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogPage {
    pub entries: Vec<LogEntry>,
    /// The cursor to read on from: the last entry's sequence number, or the cursor asked
    /// with when the page is empty. Entries appended later come after it.
    pub next: u64,
    /// Whether more entries were already there when this page was read.
    pub has_more: bool,
}

impl LogPage {
    /// A page of `entries` read with one more than `limit` asked for, so whether a next
    /// page exists is known without counting.
    pub(crate) fn from_overfetch(mut entries: Vec<LogEntry>, cursor: LogCursor) -> Self {
        let limit = cursor.clamped_limit();
        let has_more = entries.len() > limit;
        entries.truncate(limit);
        let next = entries.last().map_or(cursor.after, |e| e.sequence);
        LogPage {
            entries,
            next,
            has_more,
        }
    }
}
