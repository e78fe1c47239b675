//! What the dispatcher writes to the delivery log (`crawler_deliveries::log`) for each
//! attempt, or for an event it sends nowhere because its endpoint is disabled.

use crawler_core::{EventEnvelope, WebhookEvent};
use crawler_deliveries::{Attempt, LogEntry, LoggedOutcome};

use crate::target::Target;

/// The log entry of one attempt of `envelope` to `target`.
pub fn entry(
    envelope: &EventEnvelope,
    target: &Target,
    attempt: Attempt,
    outcome: LoggedOutcome,
    retry_in_ms: Option<u64>,
) -> LogEntry {
    LogEntry {
        sequence: 0,
        delivery_id: envelope.event_id.clone(),
        job_id: envelope.job_id,
        event: envelope.event.kind(),
        url: match &envelope.event {
            WebhookEvent::Page(page) => Some(page.url.clone()),
            _ => None,
        },
        endpoint_url: target.url.clone(),
        attempt,
        outcome,
        retry_in_ms,
    }
}

/// The entry of an event dead-lettered without a request, its endpoint being disabled.
pub fn skipped(envelope: &EventEnvelope, target: &Target, at_ms: u64) -> LogEntry {
    let attempt = Attempt {
        attempt: envelope.attempt + 1,
        at_ms,
        status_code: None,
        error: Some("endpoint_disabled".to_string()),
        duration_ms: 0,
        response_body: None,
    };
    entry(
        envelope,
        target,
        attempt,
        LoggedOutcome::EndpointDisabled,
        None,
    )
}
