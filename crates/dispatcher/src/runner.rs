//! The consume loop: bounded concurrency, and a shutdown that loses nothing.
//!
//! The loop takes a permit before it takes a delivery, so at most `webhook_concurrency`
//! deliveries are in flight and the broker's prefetch (the same number) holds the rest.
//! On shutdown it stops consuming, lets in-flight deliveries finish for a bounded time,
//! then tells the rest to give their messages back to the queue for another dispatcher.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crawler_config::Settings;
use crawler_core::{Namespace, QueueMessage};
use crawler_queue::{Consumer, Delivery, QueueError};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::client::{ClientBuildError, WebhookClient};
use crate::deliver::{DeliveryConfig, EventHandler};
use crate::jobs::JobCache;
use crate::schedule::RetryPolicy;
use crate::Backends;

/// The shortest time a waiting summary is held before it is sent even though page events
/// are missing (see `ordering`); longer when the receiver's timeout is long.
const MIN_SUMMARY_STALL: Duration = Duration::from_secs(600);
/// Extra time on shutdown, past one receiver timeout, for in-flight deliveries to finish.
const SHUTDOWN_SLACK: Duration = Duration::from_secs(2);
/// Pause before a delivery that hit an unavailable backend goes back to the queue, so a
/// Redis or broker outage does not become a busy loop.
const BACKEND_ERROR_PAUSE: Duration = Duration::from_secs(1);
/// Longest pause between attempts to start consuming.
const MAX_CONSUME_BACKOFF: Duration = Duration::from_secs(5);

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
    backends: Backends,
    shutdown: impl Future<Output = ()>,
) -> Result<(), DispatchError> {
    let handler = Arc::new(build_handler(&config, &backends)?);
    let namespace = Namespace::new(config.namespace.clone());
    let concurrency = config.webhook_concurrency;
    let prefetch = u16::try_from(concurrency).unwrap_or(u16::MAX);
    let grace = Duration::from_millis(config.webhook_timeout_ms) + SHUTDOWN_SLACK;

    tokio::pin!(shutdown);
    let events_queue = namespace.events_queue();
    let started = tokio::select! {
        () = &mut shutdown => None,
        consumer = consume_with_retry(&backends, &events_queue, prefetch) => Some(consumer?),
    };
    let Some(mut consumer) = started else {
        return Ok(());
    };
    tracing::info!(queue = %events_queue, concurrency, "webhook dispatcher consuming");

    let permits = Arc::new(Semaphore::new(concurrency));
    let hurry = CancellationToken::new();
    let mut in_flight = JoinSet::new();
    loop {
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        let delivery = tokio::select! {
            () = &mut shutdown => break,
            delivery = consumer.next() => match delivery {
                Some(delivery) => delivery,
                None => break,
            },
        };
        let handler = handler.clone();
        let hurry = hurry.clone();
        in_flight.spawn(async move {
            process(&handler, delivery, hurry).await;
            drop(permit);
        });
        while let Some(finished) = in_flight.try_join_next() {
            log_panic(finished);
        }
    }

    tracing::info!(in_flight = in_flight.len(), "webhook dispatcher stopping");
    consumer.close().await;
    let drained = tokio::time::timeout(grace, async {
        while let Some(finished) = in_flight.join_next().await {
            log_panic(finished);
        }
    })
    .await;
    if drained.is_err() {
        // Deliveries still running give their messages back; another dispatcher (or this
        // one, restarted) delivers them with the same webhook-id.
        hurry.cancel();
        while let Some(finished) = in_flight.join_next().await {
            log_panic(finished);
        }
    }
    Ok(())
}

fn build_handler(config: &Settings, backends: &Backends) -> Result<EventHandler, DispatchError> {
    let timeout = Duration::from_millis(config.webhook_timeout_ms);
    let namespace = Namespace::new(config.namespace.clone());
    Ok(EventHandler {
        config: DeliveryConfig {
            events_queue: namespace.events_queue(),
            policy: RetryPolicy::new(config.retry_schedule()?),
            disable_after: config.webhook_disable_after.max(1),
            inline_body_limit: config.webhook_inline_body_limit,
            body_retention: Duration::from_secs(config.body_retention_sec),
            public_base: config.public_base_url(config.http_addr),
            summary_stall_limit: MIN_SUMMARY_STALL.max(timeout * 4),
        },
        queue: backends.queue.clone(),
        store: backends.deliveries.clone(),
        jobs: JobCache::new(backends.state.clone()),
        client: WebhookClient::new(timeout, config.allow_private_networks)?,
    })
}

/// Starts consuming, waiting out a broker that is not reachable yet.
async fn consume_with_retry(
    backends: &Backends,
    queue: &str,
    prefetch: u16,
) -> Result<Box<dyn Consumer>, QueueError> {
    let mut backoff = Duration::from_millis(100);
    loop {
        match backends.queue.consume(queue, prefetch).await {
            Ok(consumer) => return Ok(consumer),
            Err(error) if error.is_transient() => {
                tracing::warn!(%error, "events queue not available yet; retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_CONSUME_BACKOFF);
            }
            Err(error) => return Err(error),
        }
    }
}

/// Handles one delivery and settles it: ack when done, requeue when a backend failed or
/// the dispatcher is shutting down, ack and drop when it cannot be read at all.
async fn process(handler: &EventHandler, delivery: Delivery, hurry: CancellationToken) {
    let envelope = match QueueMessage::decode(&delivery.payload) {
        Ok(QueueMessage::EventV1(envelope)) => envelope,
        Ok(other) => {
            tracing::error!(message = ?other, "not an event; dropping it");
            settle(delivery.ack().await);
            return;
        }
        Err(error) => {
            tracing::error!(%error, "undecodable event; dropping it");
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

fn log_panic(result: Result<(), tokio::task::JoinError>) {
    if let Err(error) = result {
        tracing::error!(%error, "a delivery task failed");
    }
}
