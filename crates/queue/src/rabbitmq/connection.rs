//! The connection manager: one AMQP connection, one publishing channel, and the queues
//! declared on them.
//!
//! lapin can recover connections by itself, but that recovery is not dependable yet, so it
//! stays off and this module does the job: it holds the current [`Link`] (connection plus a
//! channel in publisher-confirm mode), notices when it has failed (an operation errors, or
//! `connection.status()` no longer says connected), opens a new one, and re-declares every
//! queue used so far before anyone publishes on it. Operations retry through failures with
//! capped exponential backoff (`crawler_core::retry`) until their deadline.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex, RwLock};

use crawler_core::retry::{retry_transient, Backoff};
use lapin::options::{ConfirmSelectOptions, QueueDeclareOptions};
use lapin::types::ShortString;
use lapin::uri::AMQPUri;
use lapin::{Channel, Connection, ConnectionProperties};
use tokio::time::Instant;
use tracing::{debug, warn};

use super::topology::QueueSpec;
use super::RabbitOptions;
use crate::QueueError;
use crawler_core::redact::redacted_url;

/// Heartbeats let a silently dead connection (a network partition, a frozen broker) be
/// noticed within about twice this many seconds, instead of the broker's default minute.
const DEFAULT_HEARTBEAT_SECS: u16 = 10;

/// A connection and its publishing channel, replaced together when either fails.
pub(crate) struct Link {
    pub(crate) connection: Arc<Connection>,
    /// In confirm mode; used for publishing and for declarations.
    pub(crate) channel: Channel,
    /// Queues declared on this link. Declarations are idempotent, so this only saves round
    /// trips; it is per link so that a new connection declares everything again.
    declared: Mutex<HashSet<ShortString>>,
}

impl Link {
    fn is_usable(&self) -> bool {
        self.connection.status().connected() && self.channel.status().connected()
    }

    fn declared(&self) -> std::sync::MutexGuard<'_, HashSet<ShortString>> {
        self.declared
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Makes the next use of `queue` declare it again (it may have been deleted).
    pub(crate) fn forget_declared(&self, queue: &ShortString) {
        self.declared().remove(queue);
    }
}

pub(crate) struct ConnectionManager {
    uri: AMQPUri,
    /// The URL without its password, for error messages and logs.
    display_url: String,
    options: RabbitOptions,
    current: RwLock<Option<Arc<Link>>>,
    /// Serialises reconnection attempts so that a failure seen by many tasks at once opens
    /// one new connection, not one per task.
    reconnecting: tokio::sync::Mutex<()>,
    /// Every queue declared so far, to re-declare after a reconnect.
    known: Mutex<HashMap<ShortString, QueueSpec>>,
}

impl ConnectionManager {
    pub(crate) fn new(url: &str, options: RabbitOptions) -> Result<Self, QueueError> {
        let display_url = redacted_url(url);
        let mut uri: AMQPUri = url.parse().map_err(|error| {
            QueueError::Refused(format!("invalid AMQP URL {display_url}: {error}"))
        })?;
        uri.query.heartbeat.get_or_insert(DEFAULT_HEARTBEAT_SECS);
        Ok(ConnectionManager {
            uri,
            display_url,
            options,
            current: RwLock::new(None),
            reconnecting: tokio::sync::Mutex::new(()),
            known: Mutex::new(HashMap::new()),
        })
    }

    /// The pauses between reconnection attempts, without a deadline.
    pub(crate) fn backoff(&self) -> Backoff {
        Backoff::new(self.options.backoff_initial, self.options.backoff_max)
    }

    fn current(&self) -> Option<Arc<Link>> {
        self.current
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    fn usable_current(&self) -> Option<Arc<Link>> {
        self.current().filter(|link| link.is_usable())
    }

    pub(crate) fn is_connected(&self) -> bool {
        self.current()
            .is_some_and(|link| link.connection.status().connected())
    }

    /// The current link, reconnecting once if it has failed. Does not retry: callers that
    /// should ride out an outage use [`ConnectionManager::with_retry`].
    pub(crate) async fn link(&self) -> Result<Arc<Link>, QueueError> {
        if let Some(link) = self.usable_current() {
            return Ok(link);
        }
        let _only_one_reconnect = self.reconnecting.lock().await;
        // Another task may have reconnected while this one waited for the lock.
        if let Some(link) = self.usable_current() {
            return Ok(link);
        }
        let previous = self.current();
        let link = Arc::new(self.open_link(previous.as_deref()).await?);
        *self
            .current
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(link.clone());
        debug!(url = %self.display_url, "connected to RabbitMQ");
        Ok(link)
    }

    async fn open_link(&self, previous: Option<&Link>) -> Result<Link, QueueError> {
        // When only the channel failed (the broker closes a channel on a refused operation),
        // the connection and the consumers on it carry on; only the channel is replaced.
        let connection = match previous {
            Some(link) if link.connection.status().connected() => link.connection.clone(),
            _ => Arc::new(self.open_connection().await?),
        };
        let channel = connection
            .create_channel()
            .await
            .map_err(|error| self.lapin_error("opening a channel", error))?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await
            .map_err(|error| self.lapin_error("enabling publisher confirms", error))?;
        let link = Link {
            connection,
            channel,
            declared: Mutex::new(HashSet::new()),
        };
        let known: Vec<QueueSpec> = self.known().values().cloned().collect();
        for spec in known {
            match self.declare(&link, &spec).await {
                Ok(()) => {}
                // A queue the broker now refuses must not keep every other queue offline;
                // its own next use reports the refusal.
                Err(QueueError::Refused(reason)) => {
                    warn!(queue = %spec.name(), %reason, "re-declaring a queue was refused");
                    if !link.is_usable() {
                        return Err(
                            self.unavailable("the channel closed while re-declaring queues")
                        );
                    }
                }
                Err(error) => return Err(error),
            }
        }
        Ok(link)
    }

    async fn open_connection(&self) -> Result<Connection, QueueError> {
        let properties = ConnectionProperties::default()
            .with_connection_name(self.options.connection_name.clone().into());
        let timeout = self.options.connect_timeout;
        match tokio::time::timeout(
            timeout,
            Connection::connect_uri(self.uri.clone(), properties),
        )
        .await
        {
            Ok(Ok(connection)) => Ok(connection),
            Ok(Err(error)) => Err(self.unavailable(format!("cannot connect: {error}"))),
            Err(_) => Err(self.unavailable(format!("no answer within {timeout:?}"))),
        }
    }

    fn known(&self) -> std::sync::MutexGuard<'_, HashMap<ShortString, QueueSpec>> {
        self.known
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Declares `spec` on `link` unless this link already did.
    pub(crate) async fn ensure_declared(
        &self,
        link: &Link,
        spec: &QueueSpec,
    ) -> Result<(), QueueError> {
        if link.declared().contains(spec.name()) {
            return Ok(());
        }
        self.declare(link, spec).await?;
        self.known().insert(spec.name().clone(), spec.clone());
        Ok(())
    }

    async fn declare(&self, link: &Link, spec: &QueueSpec) -> Result<(), QueueError> {
        link.channel
            .queue_declare(
                spec.name().clone(),
                QueueDeclareOptions::durable(),
                spec.arguments().clone(),
            )
            .await
            .map_err(|error| {
                self.lapin_error(&format!("declaring queue {}", spec.name()), error)
            })?;
        link.declared().insert(spec.name().clone());
        Ok(())
    }

    /// Runs `attempt` until it succeeds, fails for good, or the operation deadline passes.
    /// Transient failures (the broker unreachable, the connection lost, a nacked publish)
    /// are retried with backoff; each attempt asks [`ConnectionManager::link`] afresh, so a
    /// failed connection is replaced on the way. An attempt still running at the deadline
    /// is cut short there.
    pub(crate) async fn with_retry<T, F, Fut>(
        &self,
        what: &str,
        mut attempt: F,
    ) -> Result<T, QueueError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, QueueError>>,
    {
        let operation_deadline = self.options.operation_deadline;
        let policy = self.backoff().with_deadline(operation_deadline);
        // The attempts' cut-off is taken when the first attempt starts, just after the
        // helper took its own deadline, so no attempt is cut before the helper gives up.
        let mut cut_off = None;
        // The last error the broker gave, for the final report when the last attempt
        // merely ran out of time.
        let last_error = Mutex::new(None);
        let result = retry_transient(what, &policy, Failure::is_transient, || {
            let cut_off = *cut_off.get_or_insert_with(|| Instant::now() + operation_deadline);
            let attempt = attempt();
            let last_error = &last_error;
            async move {
                match tokio::time::timeout_at(cut_off, attempt).await {
                    Ok(Ok(value)) => Ok(value),
                    Ok(Err(error)) => {
                        *lock(last_error) = Some(error.to_string());
                        Err(Failure::Broker(error))
                    }
                    Err(_elapsed) => Err(Failure::NoReply),
                }
            }
        })
        .await;
        match result {
            Ok(value) => Ok(value),
            Err(Failure::Broker(error)) if !error.is_transient() => Err(error),
            Err(_) => {
                let cause = lock(&last_error)
                    .take()
                    .unwrap_or_else(|| "no reply".to_owned());
                Err(self.unavailable(format!(
                    "{what} gave up after {operation_deadline:?}; last failure: {cause}"
                )))
            }
        }
    }

    pub(crate) fn unavailable(&self, detail: impl std::fmt::Display) -> QueueError {
        QueueError::Unavailable(format!("RabbitMQ at {}: {detail}", self.display_url))
    }

    /// Sorts a lapin error into the two kinds callers act on: the broker refusing this
    /// particular operation (an AMQP channel-level "soft" error such as a queue declared
    /// with other arguments, which will fail the same way every time) or anything else,
    /// which another connection may fix.
    pub(crate) fn lapin_error(&self, what: &str, error: lapin::Error) -> QueueError {
        if error.is_amqp_soft_error() {
            QueueError::Refused(format!("{what}: {error}"))
        } else {
            self.unavailable(format!("{what}: {error}"))
        }
    }
}

/// How one attempt of [`ConnectionManager::with_retry`] failed.
enum Failure {
    Broker(QueueError),
    /// The attempt was still running at the operation deadline.
    NoReply,
}

impl Failure {
    fn is_transient(&self) -> bool {
        match self {
            Failure::Broker(error) => error.is_transient(),
            Failure::NoReply => true,
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Broker(error) => error.fmt(f),
            Failure::NoReply => f.write_str("no reply before the operation deadline"),
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests;
