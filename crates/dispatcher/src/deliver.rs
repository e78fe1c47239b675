//! What happens to one event taken from the queue.
//!
//! Every path ends with the event either delivered, dropped on purpose (filtered, already
//! delivered), put back for later (a retry or a waiting summary, published to the broker's
//! delay before the original is acked), or dead-lettered. Whatever must survive a crash is
//! written before [`EventHandler::handle`] returns, and the caller acks only after that.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use crawler_core::time::now_ms;
use crawler_core::{EventEnvelope, EventKind, WebhookEvent};
use crawler_queue::typed::EventsQueue;
use crawler_queue::QueueError;

use crate::client::{AttemptOutcome, WebhookClient};
use crate::handled::{HandleError, Handled};
use crate::ordering::{summary_may_go, SUMMARY_RECHECK};
use crate::pipeline;
use crate::schedule::{jitter_factor, RetryPolicy};
use crate::target::Target;
use crate::target_cache::TargetCache;
use crawler_deliveries::{Attempt, DeadLetter, DeadReason, DeliveryStore, StoreError};

/// The settings the handler works with, taken once from `Settings`.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    pub policy: RetryPolicy,
    pub disable_after: u32,
    pub inline_body_limit: u64,
    pub body_retention: Duration,
    pub public_base: String,
    pub summary_stall_limit: Duration,
}

pub struct EventHandler {
    pub(crate) config: DeliveryConfig,
    /// Where retries and waiting summaries go back to, after their delay.
    pub(crate) events: EventsQueue,
    pub(crate) store: Arc<dyn DeliveryStore>,
    pub(crate) targets: TargetCache,
    pub(crate) client: WebhookClient,
}

impl EventHandler {
    pub async fn handle(&self, envelope: EventEnvelope) -> Result<Handled, HandleError> {
        let kind = envelope.event.kind();
        let target = match self.targets.target(envelope.job_id).await? {
            Some(target) if pipeline::select(&target, kind) => target,
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
        if let WebhookEvent::Summary(summary) = &envelope.event {
            let stall_limit = self.config.summary_stall_limit;
            if !summary_may_go(self.store.as_ref(), &envelope, summary, stall_limit).await? {
                self.republish(&envelope, SUMMARY_RECHECK).await?;
                return Ok(Handled::SummaryDeferred);
            }
        }
        if self.store.endpoint_health(&target.endpoint).await?.disabled {
            self.dead_letter(&envelope, &target, DeadReason::EndpointDisabled)
                .await?;
            self.first_attempt_done(&envelope).await?;
            return Ok(Handled::DeadLettered(DeadReason::EndpointDisabled));
        }

        let started_ms = now_ms();
        let outcome = self.attempt(&envelope, &target).await?;
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
            self.store.record_endpoint_success(&target.endpoint).await?;
            self.first_attempt_done(&envelope).await?;
            return Ok(Handled::Delivered);
        }
        self.failed(&envelope, &target, &outcome).await
    }

    /// Runs the pipeline once: shape, store a left-out body, encode and sign, send.
    /// Storing the body comes before sending, so the link in the event works as soon as
    /// the receiver sees it.
    async fn attempt(
        &self,
        envelope: &EventEnvelope,
        target: &Target,
    ) -> Result<AttemptOutcome, HandleError> {
        let shaped = pipeline::shape(
            target,
            &envelope.event,
            self.config.inline_body_limit,
            &self.config.public_base,
        );
        if let Some(body) = &shaped.stored_body {
            self.store
                .put_body(envelope.job_id, body, self.config.body_retention)
                .await?;
        }
        let timestamp = now_ms() / 1000;
        match pipeline::prepare(target, envelope, &shaped.body, timestamp) {
            Ok(request) => Ok(pipeline::send(&self.client, target, request).await),
            Err(error) => Ok(AttemptOutcome::unsent(error.to_string())),
        }
    }

    /// After a failed attempt: counts it against the endpoint's health, then schedules
    /// the next try, or dead-letters the event when the schedule is exhausted.
    async fn failed(
        &self,
        envelope: &EventEnvelope,
        target: &Target,
        outcome: &AttemptOutcome,
    ) -> Result<Handled, HandleError> {
        let health = self
            .store
            .record_endpoint_failure(&target.endpoint, self.config.disable_after)
            .await?;
        if health.disabled {
            tracing::warn!(url = %target.url, failures = health.consecutive_failures, "webhook endpoint disabled");
        }
        self.first_attempt_done(envelope).await?;
        let delay = self.retry_policy(target).next_delay(
            envelope.attempt,
            outcome.retry_after,
            jitter_factor(),
        );
        match delay {
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
                self.dead_letter(envelope, target, DeadReason::Exhausted)
                    .await?;
                Ok(Handled::DeadLettered(DeadReason::Exhausted))
            }
        }
    }

    /// The target profile's retry schedule when it has one, else the configured one, cut
    /// to the target's number of tries when it has one.
    fn retry_policy(&self, target: &Target) -> Cow<'_, RetryPolicy> {
        let policy = match target.profile.retry_schedule {
            Some(schedule) => Cow::Owned(RetryPolicy::new(schedule.to_vec())),
            None => Cow::Borrowed(&self.config.policy),
        };
        match target.attempts {
            Some(attempts) => Cow::Owned(policy.limited_to(attempts)),
            None => policy,
        }
    }

    async fn republish(&self, envelope: &EventEnvelope, delay: Duration) -> Result<(), QueueError> {
        self.events.publish_delayed(envelope.clone(), delay).await
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
        target: &Target,
        reason: DeadReason,
    ) -> Result<(), StoreError> {
        tracing::info!(job = %envelope.job_id, event = %envelope.event_id, ?reason, "event dead-lettered");
        let letter = DeadLetter {
            record_id: uuid::Uuid::new_v4().to_string(),
            event_id: envelope.event_id.clone(),
            job_id: envelope.job_id,
            kind: envelope.event.kind(),
            callback_url: target.url.clone(),
            reason,
            dead_at_ms: now_ms(),
            envelope: envelope.clone(),
            attempts: Vec::new(),
        };
        self.store.put_dead_letter(&letter).await
    }
}
