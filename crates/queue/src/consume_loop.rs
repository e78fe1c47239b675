//! The consume loop every role runs: bounded concurrency, and a shutdown that loses nothing.
//!
//! The loop takes a permit before it takes a message, so at most `concurrency` messages are
//! in flight and the messages this process cannot start yet stay in the consumer's prefetch
//! buffer, where closing the consumer hands them back to the broker for another process.
//!
//! On shutdown the loop stops taking messages and closes the consumer, then lets the
//! messages in flight finish for a grace period. When the grace runs out it cancels the
//! `hurry` token that every handler was given: a hurried handler gives its message back
//! (requeue, or drop it unacked, which the backend redelivers once the consumer is gone)
//! instead of finishing it, and the loop waits for all of them to do so. Because every
//! consumer is idempotent, a message interrupted this way is simply done again elsewhere.
//!
//! [`start_consuming`] is the way in: it waits out a broker that is not reachable yet, so
//! a role started before its broker does not fail, and a shutdown requested meanwhile is
//! still honoured.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use crawler_core::retry::{retry_transient, Backoff};
use tokio::sync::Semaphore;
use tokio::task::{JoinError, JoinSet};
use tokio_util::sync::CancellationToken;

use crate::{Consumer, Queue, QueueError, ReceivedMessage};

/// The pauses between attempts to start consuming while the broker is not reachable.
const START_BACKOFF: Backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(5));

/// What a role does with one message.
#[async_trait]
pub trait MessageHandler: Send + Sync + 'static {
    /// Handles `message` and settles it: ack once its effects are durable, requeue it, or
    /// drop it unacknowledged. Once `hurry` is cancelled the process is going away and its
    /// grace period is over: the handler must settle at once, giving the message back
    /// rather than finishing it.
    async fn handle(&self, message: ReceivedMessage, hurry: CancellationToken);
}

/// How many messages a loop handles at once, and how long it waits for them on shutdown.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Messages in flight at most (0 is taken as 1). The consumer's prefetch should be at
    /// least this, or the permits beyond it are never used.
    pub concurrency: usize,
    /// How long in-flight handlers may take to finish after shutdown before they are
    /// hurried.
    pub grace: Duration,
}

/// Starts consuming `name` with at most `prefetch` unacknowledged messages, retrying while
/// the broker is unreachable. `None` when `shutdown` completed first.
pub async fn start_consuming<S>(
    queue: &dyn Queue,
    name: &str,
    prefetch: u16,
    shutdown: &mut S,
) -> Result<Option<Box<dyn Consumer>>, QueueError>
where
    S: Future<Output = ()> + Unpin,
{
    let what = format!("consuming {name}");
    let consume = retry_transient(&what, &START_BACKOFF, QueueError::is_transient, || {
        queue.consume(name, prefetch)
    });
    tokio::select! {
        () = shutdown => Ok(None),
        consumer = consume => consumer.map(Some),
    }
}

/// Hands every message of `consumer` to `handler`, at most `limits.concurrency` at once,
/// until `shutdown` completes or the consumer ends; then drains as the module documentation
/// says and returns once every handler has settled. `role` names the process in logs.
pub async fn run<H>(
    role: &str,
    mut consumer: Box<dyn Consumer>,
    handler: Arc<H>,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) where
    H: MessageHandler + ?Sized,
{
    let permits = Arc::new(Semaphore::new(limits.concurrency.max(1)));
    let hurry = CancellationToken::new();
    let mut in_flight = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        // The permit comes first: a message taken without one would sit in this process,
        // out of reach of the graceful hand-back that the prefetch buffer gets.
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        let message = tokio::select! {
            () = &mut shutdown => break,
            message = consumer.next() => match message {
                Some(message) => message,
                None => break,
            },
        };
        let handler = handler.clone();
        let hurry = hurry.clone();
        in_flight.spawn(async move {
            handler.handle(message, hurry).await;
            drop(permit);
        });
        // Reap finished tasks so the set does not grow with the number of messages.
        while let Some(finished) = in_flight.try_join_next() {
            log_panic(role, finished);
        }
    }

    tracing::info!(in_flight = in_flight.len(), "{role} stopping");
    consumer.close().await;
    drain(role, in_flight, limits.grace, hurry).await;
}

/// Waits for the handlers in flight: for `grace`, then hurried, until the last one settled.
async fn drain(role: &str, mut in_flight: JoinSet<()>, grace: Duration, hurry: CancellationToken) {
    let finished = tokio::time::timeout(grace, async {
        while let Some(finished) = in_flight.join_next().await {
            log_panic(role, finished);
        }
    })
    .await;
    if finished.is_err() {
        // Another process (or this one, restarted) takes the messages given back.
        tracing::warn!(
            in_flight = in_flight.len(),
            "{role}: messages in flight did not finish within {grace:?}; handing them back"
        );
        hurry.cancel();
        while let Some(finished) = in_flight.join_next().await {
            log_panic(role, finished);
        }
    }
}

fn log_panic(role: &str, finished: Result<(), JoinError>) {
    // A panicking handler settled nothing: its message is redelivered once the consumer and
    // the message are gone, so the loop only has to report it and carry on.
    if let Err(error) = finished {
        tracing::error!(%error, "{role}: a message handler failed");
    }
}

#[cfg(test)]
mod tests;
