//! `webhook.test`: one signed request to a stored endpoint, made on demand (the
//! coordinator's `POST /v1/webhooks/{name}/test`) so a user can check their receiver before
//! a job depends on it. It goes through the endpoint's profile like any event (encoding,
//! signature, the profile's endpoint context and headers) but is never retried, never
//! dead-lettered and never counted against the endpoint's health: it is a probe.

use crawler_core::time::now_ms;
use crawler_deliveries::endpoints::Endpoint;
use crawler_deliveries::Attempt;
use serde_json::json;

use crate::client::{AttemptOutcome, WebhookClient};
use crate::encoding::Body;
use crate::pipeline;
use crate::target::Target;

/// The `event` of a test request.
pub const TEST_EVENT: &str = "webhook.test";

/// What a test send did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestSent {
    /// The `webhook-id` it was sent with.
    pub event_id: String,
    pub attempt: Attempt,
}

/// Sends a signed `webhook.test` event to `endpoint`, whose health shows
/// `consecutive_failures`, and answers with the attempt.
pub async fn send_test(
    client: &WebhookClient,
    endpoint: &Endpoint,
    consecutive_failures: u32,
) -> TestSent {
    let target = Target {
        consecutive_failures,
        ..Target::from_endpoint(endpoint)
    };
    let event_id = format!("msg_{}_test", uuid::Uuid::new_v4().simple());
    let started_ms = now_ms();
    let mut body = Body::Value(json!({
        "event": TEST_EVENT,
        "webhookName": endpoint.name,
        "project": endpoint.tenant.project,
        "env": endpoint.tenant.env,
        "createdAt": started_ms,
    }));
    if let Some(context) = target.profile.endpoint_context {
        body = (context.body)(body, &target.recipient());
    }
    let prepared = pipeline::prepare_message(&target, &event_id, None, &body, started_ms / 1000);
    let outcome = match prepared {
        Ok(request) => pipeline::send(client, &target, request, target.attempt_timeout()).await,
        Err(error) => AttemptOutcome::unsent(error.to_string()),
    };
    TestSent {
        event_id,
        attempt: Attempt {
            attempt: 1,
            at_ms: started_ms,
            status_code: outcome.status,
            error: outcome.error,
            duration_ms: u64::try_from(outcome.duration.as_millis()).unwrap_or(u64::MAX),
            response_body: outcome.answer_excerpt,
        },
    }
}
