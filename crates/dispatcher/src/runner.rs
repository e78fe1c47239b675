//! The dispatcher's run: the events queue through the shared consume loop.
//!
//! The loop (`crawler_queue::consume_loop`) takes a permit before it takes a delivery, so
//! at most `webhook_concurrency` deliveries are in flight and the broker's prefetch (the
//! same number) holds the rest. On shutdown it stops consuming, lets in-flight deliveries
//! finish for one receiver timeout plus some slack, then hurries the rest, which give their
//! messages back to the queue for another dispatcher.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use crawler_config::Settings;
use crawler_core::Namespace;
use crawler_queue::consume_loop::{self, Limits, MessageHandler};
use crawler_queue::typed::EventsQueue;
use crawler_queue::{QueueError, ReceivedMessage};
use tokio_util::sync::CancellationToken;

use crate::client::{ClientBuildError, WebhookClient};
use crate::deliver::{DeliveryConfig, EventHandler};
use crate::flow::EndpointPermits;
use crate::schedule::RetryPolicy;
use crate::target_cache::TargetCache;
use crate::DispatcherServices;

/// Extra time on shutdown, past one receiver timeout, for in-flight deliveries to finish.
const SHUTDOWN_SLACK: Duration = Duration::from_secs(2);
/// Pause before a delivery that hit an unavailable backend goes back to the queue, so a
/// Redis or broker outage does not become a busy loop.
const BACKEND_ERROR_PAUSE: Duration = Duration::from_secs(1);

#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    #[error("invalid configuration: {0}")]
    Config(#[from] crawler_config::ConfigError),
    #[error(transparent)]
    Client(#[from] ClientBuildError),
    #[error("cannot consume the events queue: {0}")]
    Queue(#[from] QueueError),
}

/// Runs a dispatcher until `shutdown` completes, then drains in-flight deliveries.
pub async fn run(
    config: Arc<Settings>,
    services: DispatcherServices,
    shutdown: impl Future<Output = ()>,
) -> Result<(), DispatchError> {
    let handler = Arc::new(EventProcessor(build_handler(&config, &services)?));
    let namespace = Namespace::new(config.namespace.clone());
    let concurrency = config.webhook_concurrency;
    let prefetch = u16::try_from(concurrency).unwrap_or(u16::MAX);
    let limits = Limits {
        concurrency,
        grace: Duration::from_millis(config.webhook_timeout_ms) + SHUTDOWN_SLACK,
    };

    tokio::pin!(shutdown);
    let events = EventsQueue::new(services.queue.clone(), &namespace);
    let started = events.start_consuming(prefetch, &mut shutdown).await?;
    let Some(consumer) = started else {
        return Ok(());
    };
    tracing::info!(queue = %events.name(), concurrency, "webhook dispatcher consuming");
    consume_loop::run("webhook dispatcher", consumer, handler, limits, shutdown).await;
    Ok(())
}

fn build_handler(
    config: &Settings,
    services: &DispatcherServices,
) -> Result<EventHandler, DispatchError> {
    let timeout = Duration::from_millis(config.webhook_timeout_ms);
    let namespace = Namespace::new(config.namespace.clone());
    let policy =
        RetryPolicy::new(config.retry_schedule()?).with_quick_retries(config.quick_retries()?);
    Ok(EventHandler {
        config: DeliveryConfig {
            policy,
            disable_after: config.webhook_disable_after.max(1),
            inline_body_limit: config.webhook_inline_body_limit,
            body_retention: Duration::from_secs(config.body_retention_sec),
            public_base: config.public_base_url(config.http_addr),
            summary_hold_max: config.summary_hold_max()?,
            profile_timing_percent: config.webhook_profile_timing_percent,
        },
        events: EventsQueue::new(services.queue.clone(), &namespace),
        store: services.deliveries.clone(),
        targets: TargetCache::new(services.state.clone(), services.endpoints.clone()),
        client: WebhookClient::new(timeout, config.allow_private_networks)?,
        permits: EndpointPermits::new(config.webhook_max_in_flight_per_endpoint),
    })
}

/// The events queue's side of the [`EventHandler`]: decoding and settling deliveries.
struct EventProcessor(EventHandler);

#[async_trait]
impl MessageHandler for EventProcessor {
    async fn handle(&self, message: ReceivedMessage, hurry: CancellationToken) {
        process(&self.0, message, hurry).await;
    }
}

/// Handles one delivery and settles it: ack when done, requeue when a backend failed or
/// the dispatcher is shutting down, ack and drop when it cannot be read at all.
async fn process(handler: &EventHandler, delivery: ReceivedMessage, hurry: CancellationToken) {
    let envelope = match handler.events.decode(&delivery) {
        Ok(envelope) => envelope,
        Err(error) => {
            tracing::error!(%error, "unreadable message on the events queue; dropping it");
            settle(delivery.ack().await);
            return;
        }
    };
    let event_id = envelope.event_id.clone();
    let result = tokio::select! {
        result = handler.handle(envelope) => result,
        () = hurry.cancelled() => {
            settle(delivery.requeue().await);
            return;
        }
    };
    match result {
        Ok(handled) => {
            tracing::debug!(event = %event_id, ?handled, "event handled");
            metrics::counter!("crawler_webhook_events_total", "outcome" => handled.label())
                .increment(1);
            settle(delivery.ack().await);
        }
        Err(error) => {
            tracing::warn!(event = %event_id, %error, "event put back after a backend error");
            tokio::time::sleep(BACKEND_ERROR_PAUSE).await;
            settle(delivery.requeue().await);
        }
    }
}

fn settle(result: Result<(), QueueError>) {
    // A failed ack or requeue means the broker connection is gone; the broker then
    // redelivers the message by itself, so there is nothing left to do but note it.
    if let Err(error) = result {
        tracing::warn!(%error, "could not settle a delivery; the broker will redeliver it");
    }
}
