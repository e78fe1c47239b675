//! What the webhook routes answer: an endpoint with its health, never its secret except in
//! the answer that created it.

use std::collections::BTreeMap;

use crawler_core::{ContentEncoding, ContentType, EventKind};
use crawler_deliveries::endpoints::Endpoint;
use crawler_deliveries::{Attempt, EndpointHealth};
use crawler_dispatcher::test_event::TestSent;
use serde::{Deserialize, Serialize};

/// One endpoint as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointView {
    pub name: String,
    pub project: String,
    pub env: String,
    pub url: String,
    pub profile: String,
    pub events: Vec<EventKind>,
    pub headers: BTreeMap<String, String>,
    /// The endpoint's own waits before each retry, in milliseconds; `null` when it keeps
    /// the profile's or the deployment's schedule.
    pub retry_schedule_ms: Option<Vec<u64>>,
    /// The endpoint's own attempt timeout; `null` when it keeps the default.
    pub timeout_ms: Option<u64>,
    /// The endpoint's body format and compression; `null` when it keeps the profile's.
    pub content_type: Option<ContentType>,
    pub content_encoding: Option<ContentEncoding>,
    pub created_at: u64,
    /// Only in the answer of `POST /v1/webhooks`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    pub health: HealthView,
}

/// An endpoint's health as the API shows it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthView {
    pub enabled: bool,
    pub consecutive_failures: u32,
    /// When it was disabled (Unix milliseconds), while it is.
    pub disabled_at: Option<u64>,
    /// Its latest delivery attempt.
    pub last_attempt: Option<Attempt>,
}

impl EndpointView {
    pub fn of(endpoint: &Endpoint, health: EndpointHealth) -> Self {
        EndpointView {
            name: endpoint.name.clone().unwrap_or_default(),
            project: endpoint.tenant.project.clone(),
            env: endpoint.tenant.env.clone(),
            url: endpoint.url.clone(),
            profile: endpoint.profile.clone(),
            events: endpoint.events.clone(),
            headers: endpoint.headers.clone(),
            retry_schedule_ms: endpoint.retry_schedule_ms.clone(),
            timeout_ms: endpoint.timeout_ms,
            content_type: endpoint.content_type,
            content_encoding: endpoint.content_encoding,
            created_at: endpoint.created_at_ms,
            secret: None,
            health: HealthView {
                enabled: !health.disabled,
                consecutive_failures: health.consecutive_failures,
                disabled_at: health.disabled_at_ms,
                last_attempt: health.last_attempt,
            },
        }
    }
}

/// The answer of `POST /v1/webhooks/{name}/test`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestView {
    pub name: String,
    pub event: String,
    /// The `webhook-id` it was sent with.
    pub event_id: String,
    /// Whether the receiver answered 2xx.
    pub delivered: bool,
    pub attempt: Attempt,
}

impl TestView {
    pub fn of(name: &str, sent: TestSent) -> Self {
        TestView {
            name: name.to_string(),
            event: crawler_dispatcher::test_event::TEST_EVENT.to_string(),
            event_id: sent.event_id,
            delivered: sent.attempt.error.is_none(),
            attempt: sent.attempt,
        }
    }
}
