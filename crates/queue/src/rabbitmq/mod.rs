//! RabbitMQ backend: durable queues, persistent messages, publisher confirms, manual acks,
//! bounded prefetch and broker-held delays.
//!
//! How it uses the broker:
//! - Every queue is declared durable the first time a name is used (and again after every
//!   reconnect), and messages are published persistent (delivery mode 2) through the
//!   default exchange, with `mandatory` set so a message with nowhere to go comes back
//!   instead of vanishing.
//! - `publish` sends the whole batch, then waits for all its confirms together. A nack, a
//!   returned message or a lost connection fails the attempt, and the whole batch is sent
//!   again on a fresh connection, with backoff, until the operation deadline; consumers are
//!   idempotent, so the duplicates this may cause are harmless.
//! - Delays use per-delay queues whose messages expire into the target queue (see
//!   `topology`).
//! - Each consumer runs on its own channel, driven by a background task that resubscribes
//!   after a reconnect (see `consumer`).
//! - A watchdog task reconnects as soon as the broker is back, even when nothing is being
//!   published, so `is_ready` turns true again without waiting for traffic.

mod connection;
mod consumer;
mod options;
mod topology;

use std::sync::{Arc, Weak};
use std::time::Duration;

use async_trait::async_trait;
use crawler_core::retry::retry_forever;
use lapin::options::{BasicPublishOptions, QueueDeclareOptions};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Confirmation};
use tokio::task::JoinHandle;
use tracing::info;

use crate::{Consumer, Queue, QueueError};
use connection::{ConnectionManager, Link};
use consumer::Subscription;
use topology::{ladder_delay, QueueSpec};

pub use consumer::RabbitConsumer;
pub use options::RabbitOptions;

/// AMQP delivery mode 2: the broker writes the message to disk.
const PERSISTENT: u8 = 2;

/// How often the watchdog looks at the connection while it is healthy.
const WATCH_INTERVAL: Duration = Duration::from_millis(250);

/// The RabbitMQ backend. One connection, shared by every publisher and consumer made from
/// this value.
pub struct RabbitQueue {
    manager: Arc<ConnectionManager>,
    watchdog: JoinHandle<()>,
}

impl RabbitQueue {
    /// Connects with default options. Fails with [`QueueError::Unavailable`], naming the
    /// URL without its password, when the broker does not answer within the connect timeout.
    pub async fn connect(url: &str) -> Result<Self, QueueError> {
        RabbitQueue::connect_with(url, RabbitOptions::default()).await
    }

    /// Connects with the given options. The first connection is tried once, not retried:
    /// a wrong URL or a broker that is down should be reported at startup, not hidden.
    pub async fn connect_with(url: &str, options: RabbitOptions) -> Result<Self, QueueError> {
        let manager = Arc::new(ConnectionManager::new(url, options)?);
        manager.link().await?;
        let watchdog = tokio::spawn(keep_connected(Arc::downgrade(&manager)));
        Ok(RabbitQueue { manager, watchdog })
    }

    async fn publish_once(
        &self,
        declare: &[&QueueSpec],
        route_to: &QueueSpec,
        messages: &[Vec<u8>],
    ) -> Result<(), QueueError> {
        let manager = &self.manager;
        let link = manager.link().await?;
        for spec in declare {
            manager.ensure_declared(&link, spec).await?;
        }
        let options = BasicPublishOptions {
            mandatory: true,
            immediate: false,
        };
        let mut confirms = Vec::with_capacity(messages.len());
        for message in messages {
            let properties = BasicProperties::default().with_delivery_mode(PERSISTENT);
            let confirm = link
                .channel
                .basic_publish(
                    "".into(),
                    route_to.name().clone(),
                    options,
                    message,
                    properties,
                )
                .await
                .map_err(|error| manager.lapin_error("publishing", error))?;
            confirms.push(confirm);
        }
        // All confirms are awaited together: the broker confirms in batches anyway, and one
        // round trip per message would make large batches slow.
        for confirmation in futures::future::join_all(confirms).await {
            let confirmation =
                confirmation.map_err(|error| manager.lapin_error("awaiting confirms", error))?;
            check_confirmation(manager, &link, route_to, confirmation)?;
        }
        Ok(())
    }

    async fn depth_once(&self, spec: &QueueSpec) -> Result<u64, QueueError> {
        let link = self.manager.link().await?;
        self.manager.ensure_declared(&link, spec).await?;
        let passive = QueueDeclareOptions {
            passive: true,
            ..QueueDeclareOptions::default()
        };
        match link
            .channel
            .queue_declare(spec.name().clone(), passive, FieldTable::default())
            .await
        {
            Ok(queue) => Ok(u64::from(queue.message_count())),
            Err(error) => {
                // The queue may have been deleted behind our back (the broker answers
                // NOT_FOUND): declare it again on the next attempt.
                link.forget_declared(spec.name());
                Err(self
                    .manager
                    .unavailable(format!("measuring {}: {error}", spec.name())))
            }
        }
    }
}

fn check_confirmation(
    manager: &ConnectionManager,
    link: &Link,
    route_to: &QueueSpec,
    confirmation: Confirmation,
) -> Result<(), QueueError> {
    match confirmation {
        Confirmation::Ack(None) => Ok(()),
        Confirmation::Ack(Some(_returned)) => {
            link.forget_declared(route_to.name());
            Err(manager.unavailable(format!(
                "queue {} was missing; declaring it again",
                route_to.name()
            )))
        }
        Confirmation::Nack(_) => {
            Err(manager.unavailable("the broker nacked a message of the batch"))
        }
        Confirmation::NotRequested => {
            Err(manager.unavailable("the publishing channel is not in confirm mode"))
        }
    }
}

/// Reconnects as soon as the broker is reachable again. Holds only a weak reference while
/// the connection is healthy, so it ends with the [`RabbitQueue`] (which also aborts it on
/// drop, the only way it ends while reconnecting).
async fn keep_connected(manager: Weak<ConnectionManager>) {
    loop {
        tokio::time::sleep(WATCH_INTERVAL).await;
        let Some(manager) = manager.upgrade() else {
            return;
        };
        if manager.is_connected() {
            continue;
        }
        retry_forever("reconnecting to RabbitMQ", &manager.backoff(), || {
            manager.link()
        })
        .await;
        info!("reconnected to RabbitMQ");
    }
}

impl Drop for RabbitQueue {
    fn drop(&mut self) {
        self.watchdog.abort();
    }
}

#[async_trait]
impl Queue for RabbitQueue {
    async fn publish(&self, queue: &str, messages: Vec<Vec<u8>>) -> Result<(), QueueError> {
        if messages.is_empty() {
            return Ok(());
        }
        let spec = QueueSpec::work(queue)?;
        let what = format!("publishing {} messages to {queue}", messages.len());
        let declare = [&spec];
        self.manager
            .with_retry(&what, || self.publish_once(&declare, &spec, &messages))
            .await
    }

    async fn publish_delayed(
        &self,
        queue: &str,
        message: Vec<u8>,
        delay: Duration,
    ) -> Result<(), QueueError> {
        if delay.is_zero() {
            return self.publish(queue, vec![message]).await;
        }
        let target = QueueSpec::work(queue)?;
        let holding = QueueSpec::delay(&target, ladder_delay(delay))?;
        let messages = [message];
        let what = format!("publishing a delayed message to {}", holding.name());
        // The target is declared too: a message expiring into a queue that does not exist
        // would be dropped by the broker.
        let declare = [&target, &holding];
        self.manager
            .with_retry(&what, || self.publish_once(&declare, &holding, &messages))
            .await
    }

    async fn consume(&self, queue: &str, prefetch: u16) -> Result<Box<dyn Consumer>, QueueError> {
        let spec = QueueSpec::work(queue)?;
        // AMQP reads a prefetch of 0 as "unlimited"; the trait promises a bound.
        let prefetch = prefetch.max(1);
        let manager = &self.manager;
        let subscription = manager
            .with_retry(&format!("consuming {queue}"), || {
                Subscription::open(manager, &spec, prefetch)
            })
            .await?;
        let consumer = RabbitConsumer::start(manager.clone(), spec, prefetch, subscription);
        Ok(Box::new(consumer))
    }

    async fn depth(&self, queue: &str) -> Result<u64, QueueError> {
        let spec = QueueSpec::work(queue)?;
        self.manager
            .with_retry(&format!("measuring {queue}"), || self.depth_once(&spec))
            .await
    }

    async fn is_ready(&self) -> bool {
        self.manager.is_connected()
    }
}
