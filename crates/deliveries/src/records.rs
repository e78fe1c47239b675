//! The records the delivery store keeps.

use crawler_core::{EventEnvelope, EventKind, JobId};
use serde::{Deserialize, Serialize};

/// One try to deliver one event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    /// 1 for the first try.
    pub attempt: u32,
    /// When the try started, Unix milliseconds.
    pub at_ms: u64,
    /// The receiver's final HTTP status, when it answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_code: Option<u16>,
    /// Why the try failed, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub duration_ms: u64,
    /// The first kilobyte of the receiver's answer, as text, when it sent one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_body: Option<String>,
}

/// Why an event was given up on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadReason {
    /// Every retry of the schedule failed.
    Exhausted,
    /// The endpoint was disabled, so no request was made.
    EndpointDisabled,
}

/// An event that was not delivered, with everything needed to show and replay it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetter {
    /// Identifies this record, so a replay removes only the record it published and not a
    /// newer one written meanwhile by the replayed event failing again.
    pub record_id: String,
    pub event_id: String,
    pub job_id: JobId,
    pub kind: EventKind,
    /// The URL the event was meant for.
    pub callback_url: String,
    pub reason: DeadReason,
    pub dead_at_ms: u64,
    /// The event as it was queued, replayed with its attempt count reset.
    pub envelope: EventEnvelope,
    /// Filled from the attempt log when read; ignored when written.
    #[serde(default)]
    pub attempts: Vec<Attempt>,
}

/// One endpoint's health.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndpointHealth {
    pub consecutive_failures: u32,
    pub disabled: bool,
    /// When it was disabled, Unix milliseconds, while it is.
    pub disabled_at_ms: Option<u64>,
    /// The endpoint's latest delivery attempt, of any event.
    pub last_attempt: Option<Attempt>,
}

/// A page body left out of a webhook, kept for the coordinator to serve.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredBody {
    pub url: String,
    /// The page's `content-type`, served back with the body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// The body as text, when it was text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// The body as base64, when it was binary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base64_encoded_body: Option<String>,
}
