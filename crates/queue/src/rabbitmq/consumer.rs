//! Consuming: a background task owns the AMQP consumer and survives reconnects.
//!
//! The task forwards deliveries into a bounded channel that [`RabbitConsumer::next`] reads.
//! When the connection drops, the lapin consumer's stream ends; the task then asks the
//! connection manager for a fresh link, declares the queue again, subscribes again and
//! carries on. Deliveries handed out on the old channel can no longer be acked (their ack
//! fails) and the broker redelivers them, which the trait's contract already allows.
//!
//! Every delivery's acker holds a handle on its channel, so the channel stays open, and
//! acks keep working, until the consumer is closed *and* the last delivery is acked or
//! dropped. Closing the channel then hands anything still unacknowledged back to the broker.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use crawler_core::retry::retry_forever;
use futures::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicCancelOptions, BasicConsumeOptions, BasicNackOptions, BasicQosOptions,
};
use lapin::types::FieldTable;
use lapin::Channel;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use super::connection::ConnectionManager;
use super::topology::QueueSpec;
use crate::{Acker, Consumer, QueueError, ReceivedMessage};

/// How long closing may spend cancelling the AMQP consumer and handing back its buffer.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// One `basic.consume` on its own channel. Each subscription gets its own channel so that its
/// prefetch limit (`basic.qos`) applies to it alone.
pub(crate) struct Subscription {
    channel: Channel,
    consumer: lapin::Consumer,
}

impl Subscription {
    pub(crate) async fn open(
        manager: &ConnectionManager,
        spec: &QueueSpec,
        prefetch: u16,
    ) -> Result<Subscription, QueueError> {
        let link = manager.link().await?;
        manager.ensure_declared(&link, spec).await?;
        let channel = link
            .connection
            .create_channel()
            .await
            .map_err(|error| manager.lapin_error("opening a consumer channel", error))?;
        channel
            .basic_qos(prefetch, BasicQosOptions::default())
            .await
            .map_err(|error| manager.lapin_error("setting the prefetch", error))?;
        let consumer = channel
            .basic_consume(
                spec.name().clone(),
                "".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await
            .map_err(|error| manager.lapin_error(&format!("consuming {}", spec.name()), error))?;
        Ok(Subscription { channel, consumer })
    }

    fn wrap(&self, delivery: lapin::message::Delivery) -> ReceivedMessage {
        let acker = RabbitAcker {
            acker: delivery.acker,
            _channel: self.channel.clone(),
        };
        ReceivedMessage::new(delivery.data, delivery.redelivered, Box::new(acker))
    }

    /// Cancels the AMQP consumer and gives back what the broker already pushed into
    /// lapin's buffer. After `basic.cancel` the stream yields the buffered deliveries and
    /// then ends, so draining it to the end catches every one.
    async fn cancel_and_requeue_buffered(mut self) {
        if !self.channel.status().connected() {
            // The broker already took everything back when the channel went away.
            return;
        }
        let tag = self.consumer.tag();
        if let Err(error) = self
            .channel
            .basic_cancel(tag, BasicCancelOptions::default())
            .await
        {
            debug!(%error, "cancelling the consumer failed; the broker requeues on channel close");
            return;
        }
        while let Some(Ok(delivery)) = self.consumer.next().await {
            let requeue = BasicNackOptions {
                multiple: false,
                requeue: true,
            };
            if let Err(error) = delivery.acker.nack(requeue).await {
                debug!(%error, "requeueing a buffered delivery failed");
            }
        }
    }
}

/// Why forwarding stopped.
enum Forwarding {
    /// The consumer was closed or dropped.
    Stopped,
    /// The subscription ended (connection or channel lost, or the broker cancelled it).
    Lost,
}

pub struct RabbitConsumer {
    deliveries: mpsc::Receiver<ReceivedMessage>,
    stop: CancellationToken,
    task: Option<JoinHandle<()>>,
}

impl RabbitConsumer {
    pub(crate) fn start(
        manager: Arc<ConnectionManager>,
        spec: QueueSpec,
        prefetch: u16,
        subscription: Subscription,
    ) -> Self {
        // The broker never has more than `prefetch` deliveries out to this consumer, so a
        // buffer of that size never makes the task wait while the broker still has room.
        let (sender, deliveries) = mpsc::channel(usize::from(prefetch.max(1)));
        let stop = CancellationToken::new();
        let task = tokio::spawn(run(
            manager,
            spec,
            prefetch,
            subscription,
            sender,
            stop.clone(),
        ));
        RabbitConsumer {
            deliveries,
            stop,
            task: Some(task),
        }
    }
}

async fn run(
    manager: Arc<ConnectionManager>,
    spec: QueueSpec,
    prefetch: u16,
    mut subscription: Subscription,
    sender: mpsc::Sender<ReceivedMessage>,
    stop: CancellationToken,
) {
    loop {
        match forward(&mut subscription, &sender, &stop).await {
            Forwarding::Stopped => {
                let _ =
                    tokio::time::timeout(CLOSE_TIMEOUT, subscription.cancel_and_requeue_buffered())
                        .await;
                return;
            }
            Forwarding::Lost => {
                warn!(queue = %spec.name(), "consumer lost its subscription; resubscribing")
            }
        }
        drop(subscription);
        // Every failure is retried, refusals included: this task has no caller to report
        // to, and a consumer that gave up would silently stop the role it serves.
        let what = format!("resubscribing to {}", spec.name());
        let backoff = manager.backoff();
        let resubscribe = retry_forever(&what, &backoff, || {
            Subscription::open(&manager, &spec, prefetch)
        });
        subscription = tokio::select! {
            _ = stop.cancelled() => return,
            fresh = resubscribe => fresh,
        };
        debug!(queue = %spec.name(), "consumer resubscribed");
    }
}

async fn forward(
    subscription: &mut Subscription,
    sender: &mpsc::Sender<ReceivedMessage>,
    stop: &CancellationToken,
) -> Forwarding {
    loop {
        let next = tokio::select! {
            biased;
            _ = stop.cancelled() => return Forwarding::Stopped,
            next = subscription.consumer.next() => next,
        };
        let delivery = match next {
            Some(Ok(delivery)) => subscription.wrap(delivery),
            Some(Err(error)) => {
                debug!(%error, "consumer stream failed");
                return Forwarding::Lost;
            }
            None => return Forwarding::Lost,
        };
        // Reserve the slot first so that a stop while waiting leaves the delivery in hand,
        // to be given back, rather than dropped inside a cancelled send.
        let permit = tokio::select! {
            biased;
            _ = stop.cancelled() => None,
            permit = sender.reserve() => permit.ok(),
        };
        match permit {
            Some(permit) => permit.send(delivery),
            None => {
                let _ = delivery.requeue().await;
                return Forwarding::Stopped;
            }
        }
    }
}

#[async_trait]
impl Consumer for RabbitConsumer {
    async fn next(&mut self) -> Option<ReceivedMessage> {
        self.deliveries.recv().await
    }

    async fn close(&mut self) {
        let Some(task) = self.task.take() else {
            return;
        };
        self.stop.cancel();
        self.deliveries.close();
        while let Some(delivery) = self.deliveries.recv().await {
            if let Err(error) = delivery.requeue().await {
                debug!(%error, "requeueing a buffered delivery failed");
            }
        }
        if tokio::time::timeout(CLOSE_TIMEOUT, task).await.is_err() {
            warn!("the consumer task did not stop in time; abandoning it");
        }
    }
}

impl Drop for RabbitConsumer {
    fn drop(&mut self) {
        // The task sees the stop, cancels the AMQP consumer and ends. Deliveries still in
        // the buffer are dropped with it; the broker takes them back when their channel
        // closes.
        self.stop.cancel();
    }
}

/// Acks on the delivery's own channel, which it keeps open (see the module documentation).
struct RabbitAcker {
    acker: lapin::Acker,
    _channel: Channel,
}

impl RabbitAcker {
    fn settled(&self, outcome: lapin::Result<bool>, what: &str) -> Result<(), QueueError> {
        match outcome {
            Ok(true) => Ok(()),
            // lapin answers `false` when the channel the delivery came on has closed.
            Ok(false) => Err(QueueError::Unavailable(format!(
                "cannot {what}: the delivery's channel closed; the broker will redeliver it"
            ))),
            Err(error) => Err(QueueError::Unavailable(format!("cannot {what}: {error}"))),
        }
    }
}

#[async_trait]
impl Acker for RabbitAcker {
    async fn ack(&self) -> Result<(), QueueError> {
        let outcome = self.acker.ack(BasicAckOptions::default()).await;
        self.settled(outcome, "ack")
    }

    async fn requeue(&self) -> Result<(), QueueError> {
        let options = BasicNackOptions {
            multiple: false,
            requeue: true,
        };
        let outcome = self.acker.nack(options).await;
        self.settled(outcome, "requeue")
    }
}
