//! What happens to one event taken from the queue.
//!
//! Every path ends with the event either delivered, dropped on purpose (filtered, already
//! delivered), put back for later (a retry or a waiting summary, published to the broker's
//! delay before the original is acked), or dead-lettered. Whatever must survive a crash is
//! written before [`EventHandler::handle`] returns, and the caller acks only after that.

use std::sync::Arc;
use std::time::Duration;

use crawler_core::time::now_ms;
use crawler_core::{EventEnvelope, EventKind, QueueMessage, WebhookEvent};
use crawler_deliveries::endpoints::Endpoint;
use crawler_deliveries::{Attempt, DeadLetter, DeadReason, DeliveryStore, StoreError};
use crawler_queue::{Queue, QueueError};
use crawler_state::StateError;

use crate::client::{AttemptOutcome, WebhookClient};
use crate::headers::{webhook_headers, Signed};
use crate::jobs::JobCache;
use crate::ordering::{expected_page_events, summary_gate, SummaryGate, SUMMARY_RECHECK};
use crate::payload::shape;
use crate::schedule::{jitter_factor, RetryPolicy};
use crate::signing::WebhookSecret;

#[derive(Debug, thiserror::Error)]
pub enum HandleError {
    #[error(transparent)]
    Queue(#[from] QueueError),
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How an event left the handler, for logs and tests.
#[derive(Debug, Clone, PartialEq)]
pub enum Handled {
    Delivered,
    /// No callback, or the callback does not want this kind.
    Filtered,
    AlreadyDelivered,
    /// A summary put back until the job's page events had their first attempt.
    SummaryDeferred,
    Retrying {
        attempt: u32,
        delay: Duration,
    },
    DeadLettered(DeadReason),
}

impl Handled {
    /// The outcome as a metrics label.
    pub fn label(&self) -> &'static str {
        match self {
            Handled::Delivered => "delivered",
            Handled::Filtered => "filtered",
            Handled::AlreadyDelivered => "already_delivered",
            Handled::SummaryDeferred => "summary_deferred",
            Handled::Retrying { .. } => "retrying",
            Handled::DeadLettered(_) => "dead_lettered",
        }
    }
}

/// The settings the handler works with, taken once from `Settings`.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    pub events_queue: String,
    pub policy: RetryPolicy,
    pub disable_after: u32,
    pub inline_body_limit: u64,
    pub body_retention: Duration,
    pub public_base: String,
    pub summary_stall_limit: Duration,
}

pub struct EventHandler {
    pub(crate) config: DeliveryConfig,
    pub(crate) queue: Arc<dyn Queue>,
    pub(crate) store: Arc<dyn DeliveryStore>,
    pub(crate) jobs: JobCache,
    pub(crate) client: WebhookClient,
}

impl EventHandler {
    pub async fn handle(&self, envelope: EventEnvelope) -> Result<Handled, HandleError> {
        let kind = envelope.event.kind();
        let callback = match self.jobs.endpoint(envelope.job_id).await? {
            Some(callback) if callback.wants(kind) => callback,
            _ => {
                self.first_attempt_done(&envelope).await?;
                return Ok(Handled::Filtered);
            }
        };
        if self
            .store
            .is_delivered(envelope.job_id, &envelope.event_id)
            .await?
        {
            self.first_attempt_done(&envelope).await?;
            return Ok(Handled::AlreadyDelivered);
        }
        if let WebhookEvent::Finished(summary) = &envelope.event {
            let progress = self.store.first_attempts(envelope.job_id).await?;
            let gate = summary_gate(
                expected_page_events(summary),
                progress,
                envelope.created_at_ms,
                now_ms(),
                self.config.summary_stall_limit,
            );
            match gate {
                SummaryGate::Go => {}
                SummaryGate::Wait => {
                    self.republish(&envelope, SUMMARY_RECHECK).await?;
                    return Ok(Handled::SummaryDeferred);
                }
                SummaryGate::Stalled => tracing::warn!(
                    job = %envelope.job_id,
                    done = progress.done,
                    expected = expected_page_events(summary),
                    "page events stopped progressing; sending the summary anyway"
                ),
            }
        }
        if self.store.endpoint_health(&callback.key()).await?.disabled {
            self.dead_letter(&envelope, &callback, DeadReason::EndpointDisabled)
                .await?;
            self.first_attempt_done(&envelope).await?;
            return Ok(Handled::DeadLettered(DeadReason::EndpointDisabled));
        }

        let started_ms = now_ms();
        let outcome = self.attempt(&envelope, &callback).await?;
        let attempt = Attempt {
            attempt: envelope.attempt + 1,
            at_ms: started_ms,
            status_code: outcome.status,
            error: outcome.error.clone(),
            duration_ms: u64::try_from(outcome.duration.as_millis()).unwrap_or(u64::MAX),
        };
        self.store
            .record_attempt(envelope.job_id, &envelope.event_id, &attempt)
            .await?;

        if outcome.succeeded() {
            self.store
                .mark_delivered(envelope.job_id, &envelope.event_id)
                .await?;
            self.store.record_endpoint_success(&callback.key()).await?;
            self.first_attempt_done(&envelope).await?;
            return Ok(Handled::Delivered);
        }

        let health = self
            .store
            .record_endpoint_failure(&callback.key(), self.config.disable_after)
            .await?;
        if health.disabled {
            tracing::warn!(url = %callback.url, failures = health.consecutive_failures, "webhook endpoint disabled");
        }
        self.first_attempt_done(&envelope).await?;
        let retry_after = outcome.retry_after;
        match self
            .config
            .policy
            .next_delay(envelope.attempt, retry_after, jitter_factor())
        {
            Some(delay) => {
                let mut next = envelope.clone();
                next.attempt += 1;
                self.republish(&next, delay).await?;
                Ok(Handled::Retrying {
                    attempt: next.attempt,
                    delay,
                })
            }
            None => {
                self.dead_letter(&envelope, &callback, DeadReason::Exhausted)
                    .await?;
                Ok(Handled::DeadLettered(DeadReason::Exhausted))
            }
        }
    }

    /// Shapes, signs and sends the event once. Storing a left-out body comes first, so the
    /// link in the event works as soon as the receiver sees it.
    async fn attempt(
        &self,
        envelope: &EventEnvelope,
        callback: &Endpoint,
    ) -> Result<AttemptOutcome, HandleError> {
        let shaped = shape(
            &envelope.event,
            callback.payload,
            self.config.inline_body_limit,
            &self.config.public_base,
        );
        if let Some(body) = &shaped.stored_body {
            self.store
                .put_body(envelope.job_id, body, self.config.body_retention)
                .await?;
        }
        let secret = match WebhookSecret::parse(&callback.secret) {
            Ok(secret) => secret,
            Err(error) => {
                return Ok(AttemptOutcome {
                    status: None,
                    error: Some(format!("invalid_secret: {error}")),
                    duration: Duration::ZERO,
                    retry_after: None,
                })
            }
        };
        // Serialising an event cannot fail: it holds only strings, numbers and JSON values.
        let body = serde_json::to_vec(&shaped.event).unwrap_or_default();
        let timestamp = now_ms() / 1000;
        let signature = secret.sign(&envelope.event_id, timestamp, &body);
        let job_id = envelope.job_id.to_string();
        let headers = webhook_headers(
            &callback.headers,
            &Signed {
                event_id: &envelope.event_id,
                job_id: &job_id,
                timestamp,
                signature: &signature,
            },
        );
        Ok(self.client.post(&callback.url, headers, body).await)
    }

    async fn republish(&self, envelope: &EventEnvelope, delay: Duration) -> Result<(), QueueError> {
        let bytes = QueueMessage::EventV1(envelope.clone()).encode();
        self.queue
            .publish_delayed(&self.config.events_queue, bytes, delay)
            .await
    }

    async fn first_attempt_done(&self, envelope: &EventEnvelope) -> Result<(), StoreError> {
        if envelope.event.kind() == EventKind::Page {
            self.store
                .mark_first_attempt_done(envelope.job_id, &envelope.event_id)
                .await?;
        }
        Ok(())
    }

    async fn dead_letter(
        &self,
        envelope: &EventEnvelope,
        callback: &Endpoint,
        reason: DeadReason,
    ) -> Result<(), StoreError> {
        tracing::info!(job = %envelope.job_id, event = %envelope.event_id, ?reason, "event dead-lettered");
        let letter = DeadLetter {
            record_id: uuid::Uuid::new_v4().to_string(),
            event_id: envelope.event_id.clone(),
            job_id: envelope.job_id,
            kind: envelope.event.kind(),
            callback_url: callback.url.clone(),
            reason,
            dead_at_ms: now_ms(),
            envelope: envelope.clone(),
            attempts: Vec::new(),
        };
        self.store.put_dead_letter(&letter).await
    }
}
