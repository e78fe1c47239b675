//! What happens to one event taken from the queue.
//!
//! Every path ends with the event either delivered, dropped on purpose (filtered, already
//! delivered), put back for later (a retry, a waiting summary, or an event whose endpoint
//! has all its requests in flight, published to the broker's delay before the original is
//! acked), or dead-lettered. Whatever must survive a crash is written before
//! [`EventHandler::handle`] returns, and the caller acks only after that. Every attempt
//! goes to the delivery log with what it led to.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use crawler_core::redact::redacted_url;
use crawler_core::time::now_ms;
use crawler_core::{EventEnvelope, EventKind, WebhookEvent};
use crawler_queue::typed::EventsQueue;
use crawler_queue::QueueError;

use crate::client::{AttemptOutcome, WebhookClient};
use crate::delivery_log;
use crate::flow::{EndpointPermits, PERMIT_WAIT, THROTTLED_RETRY};
use crate::handled::{HandleError, Handled};
use crate::ordering::{summary_may_go, SUMMARY_RECHECK};
use crate::pipeline;
use crate::schedule::{jitter_factor, RetryPolicy, TriesMade};
use crate::target::Target;
use crate::target_cache::TargetCache;
use crawler_deliveries::{
    Attempt, DeadLetter, DeadReason, DeliveryStore, LoggedOutcome, StoreError,
};

/// The settings the handler works with, taken once from `Settings`.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// The long schedule, with the quick retries of connection-level failures before it.
    pub policy: RetryPolicy,
    pub disable_after: u32,
    pub inline_body_limit: u64,
    /// How long left-out bodies, and events kept for redelivery, stay readable.
    pub body_retention: Duration,
    pub public_base: String,
    pub summary_hold_max: Duration,
    /// Percent applied to every profile's own retry delays and timeout
    /// (`webhook_profile_timing_percent`): 100 in production, less in tests.
    pub profile_timing_percent: u32,
}

impl DeliveryConfig {
    /// A profile's duration as this configuration runs it.
    fn profile_time(&self, duration: Duration) -> Duration {
        duration * self.profile_timing_percent / 100
    }
}

pub struct EventHandler {
    pub(crate) config: DeliveryConfig,
    /// Where retries and waiting summaries go back to, after their delay.
    pub(crate) events: EventsQueue,
    pub(crate) store: Arc<dyn DeliveryStore>,
    pub(crate) targets: TargetCache,
    pub(crate) client: WebhookClient,
    pub(crate) permits: EndpointPermits,
}

impl EventHandler {
    pub async fn handle(&self, envelope: EventEnvelope) -> Result<Handled, HandleError> {
        let kind = envelope.event.kind();
        let target = match self.targets.target(envelope.job_id).await? {
            Some(target) if pipeline::select(&target, kind) => target,
            _ => {
                self.settled(&envelope).await?;
                return Ok(Handled::Filtered);
            }
        };
        if self
            .store
            .is_delivered(envelope.job_id, &envelope.event_id)
            .await?
        {
            self.settled(&envelope).await?;
            return Ok(Handled::AlreadyDelivered);
        }
        if let WebhookEvent::Summary(summary) = &envelope.event {
            let hold_max = self.config.summary_hold_max;
            if !summary_may_go(self.store.as_ref(), &envelope, summary, hold_max).await? {
                self.republish(&envelope, SUMMARY_RECHECK).await?;
                return Ok(Handled::SummaryDeferred);
            }
        }
        let health = self.store.endpoint_health(&target.endpoint).await?;
        if health.disabled {
            let skipped = delivery_log::skipped(&envelope, &target, now_ms());
            self.store.log_attempt(&target.endpoint, &skipped).await?;
            return self
                .dead_letter(&envelope, &target, DeadReason::EndpointDisabled)
                .await;
        }
        // Profiles that tell the receiver (`scrapfly`) show the count as this attempt starts.
        let target = Target {
            consecutive_failures: health.consecutive_failures,
            ..(*target).clone()
        };
        let Some(permit) = self.permits.acquire(&target.endpoint, PERMIT_WAIT).await else {
            self.republish(&envelope, THROTTLED_RETRY).await?;
            return Ok(Handled::Throttled);
        };
        if envelope.attempt == 0 {
            self.store
                .keep_event(&envelope, self.config.body_retention)
                .await?;
        }
        let started_ms = now_ms();
        let outcome = self.attempt(&envelope, &target).await?;
        drop(permit);
        let attempt = Attempt {
            attempt: envelope.attempt + 1,
            at_ms: started_ms,
            status_code: outcome.status,
            error: outcome.error.clone(),
            duration_ms: u64::try_from(outcome.duration.as_millis()).unwrap_or(u64::MAX),
            response_body: outcome.answer_excerpt.clone(),
        };
        self.store
            .record_attempt(envelope.job_id, &envelope.event_id, &attempt)
            .await?;
        if outcome.succeeded() {
            self.delivered(&envelope, &target, attempt).await?;
            return Ok(Handled::Delivered);
        }
        self.failed(&envelope, &target, attempt, &outcome).await
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
            Ok(request) => {
                // The endpoint's own timeout as set; the profile's as this deployment scales it.
                let timeout = target
                    .timeout
                    .or_else(|| target.profile.timeout.map(|t| self.config.profile_time(t)));
                Ok(pipeline::send(&self.client, target, request, timeout).await)
            }
            Err(error) => Ok(AttemptOutcome::unsent(error.to_string())),
        }
    }

    async fn delivered(
        &self,
        envelope: &EventEnvelope,
        target: &Target,
        attempt: Attempt,
    ) -> Result<(), StoreError> {
        let (job, id) = (envelope.job_id, &envelope.event_id);
        self.store.mark_delivered(job, id).await?;
        self.store
            .record_endpoint_success(&target.endpoint, &attempt)
            .await?;
        let entry = delivery_log::entry(envelope, target, attempt, LoggedOutcome::Delivered, None);
        self.store.log_attempt(&target.endpoint, &entry).await?;
        self.settled(envelope).await
    }

    /// After a failed attempt: counts it against the endpoint's health, then schedules
    /// the next try, or dead-letters the event when the schedule is exhausted.
    async fn failed(
        &self,
        envelope: &EventEnvelope,
        target: &Target,
        attempt: Attempt,
        outcome: &AttemptOutcome,
    ) -> Result<Handled, HandleError> {
        let health = self
            .store
            .record_endpoint_failure(&target.endpoint, &attempt, self.config.disable_after)
            .await?;
        if health.disabled {
            tracing::warn!(endpoint = %target.endpoint, url = %redacted_url(&target.url), failures = health.consecutive_failures, "webhook endpoint disabled");
        }
        let made = TriesMade {
            attempts: envelope.attempt,
            quick: envelope.quick_retries,
        };
        let next = self.retry_policy(target).next_try(
            made,
            outcome.connection_failed,
            outcome.retry_after,
            jitter_factor(),
        );
        let Some(next) = next else {
            let entry =
                delivery_log::entry(envelope, target, attempt, LoggedOutcome::Exhausted, None);
            self.store.log_attempt(&target.endpoint, &entry).await?;
            return self
                .dead_letter(envelope, target, DeadReason::Exhausted)
                .await;
        };
        let delay_ms = u64::try_from(next.delay.as_millis()).unwrap_or(u64::MAX);
        let entry = delivery_log::entry(
            envelope,
            target,
            attempt,
            LoggedOutcome::Retrying,
            Some(delay_ms),
        );
        self.store.log_attempt(&target.endpoint, &entry).await?;
        let mut retry = envelope.clone();
        retry.attempt += 1;
        retry.quick_retries += u32::from(next.quick);
        self.republish(&retry, next.delay).await?;
        Ok(Handled::Retrying {
            attempt: retry.attempt,
            delay: next.delay,
        })
    }

    /// The endpoint's retry schedule when it has one, else its profile's (as the service
    /// it imitates documents it, so without quick retries), else the configured one; cut to the target's number of tries when it has one.
    fn retry_policy(&self, target: &Target) -> Cow<'_, RetryPolicy> {
        let policy = match (&target.retry_schedule, target.profile.retry_schedule) {
            (Some(schedule), _) => Cow::Owned(RetryPolicy::new(schedule.clone())),
            (None, Some(schedule)) => Cow::Owned(RetryPolicy::new(
                schedule
                    .iter()
                    .map(|delay| self.config.profile_time(*delay))
                    .collect(),
            )),
            (None, None) => Cow::Borrowed(&self.config.policy),
        };
        match target.attempts {
            Some(attempts) => Cow::Owned(policy.limited_to(attempts)),
            None => policy,
        }
    }

    async fn republish(&self, envelope: &EventEnvelope, delay: Duration) -> Result<(), QueueError> {
        self.events.publish_delayed(envelope.clone(), delay).await
    }

    /// Counts a page event as settled: the summary no longer waits for it.
    async fn settled(&self, envelope: &EventEnvelope) -> Result<(), StoreError> {
        if envelope.event.kind() == EventKind::Page {
            self.store
                .mark_settled(envelope.job_id, &envelope.event_id)
                .await?;
        }
        Ok(())
    }

    async fn dead_letter(
        &self,
        envelope: &EventEnvelope,
        target: &Target,
        reason: DeadReason,
    ) -> Result<Handled, HandleError> {
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
        self.store.put_dead_letter(&letter).await?;
        self.settled(envelope).await?;
        Ok(Handled::DeadLettered(reason))
    }
}
