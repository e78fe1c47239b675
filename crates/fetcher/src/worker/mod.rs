//! The fetcher worker: consumes fetch tasks and carries each through fetch, link admission,
//! page event and completion, acknowledging it only once all of that is confirmed.
//!
//! Concurrency is bounded twice: the queue's prefetch bounds how many tasks this worker
//! holds, and a semaphore bounds how many it fetches at once. A task is never acknowledged
//! before its effects are durable, so a worker killed at any point loses nothing: the broker
//! redelivers the task and every state step is idempotent.

mod attempt;
mod context;
mod events;
mod fetchers;
mod outcome;
mod task;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crawler_config::Settings;
use crawler_core::{Namespace, WebhookEvent};
use crawler_queue::{Queue, QueueError};
use crawler_state::StateStore;
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;

use crawler_politeness::Politeness;

use crate::fetch::{FetchConfig, FetchError};

pub use context::JobCache;

/// What a worker talks to.
#[derive(Clone)]
pub struct Backends {
    pub queue: Arc<dyn Queue>,
    pub state: Arc<dyn StateStore>,
    /// robots.txt and per-host pacing, shared by every worker through the same store.
    pub politeness: Arc<Politeness>,
    /// The embedded mode's window on events: every event the worker publishes is also sent
    /// here. Distributed workers leave it empty.
    pub tap: Option<mpsc::UnboundedSender<WebhookEvent>>,
}

#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error("could not start consuming fetch tasks: {0}")]
    Consume(#[from] QueueError),
    #[error("could not build the HTTP client: {0}")]
    Client(#[from] FetchError),
}

/// How long in-flight tasks may take to finish after a shutdown request before they are
/// abandoned (and redelivered to another worker).
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Runs a worker until `shutdown` resolves, then stops consuming, lets in-flight tasks finish
/// (up to a grace period) and returns.
pub async fn run(
    config: Arc<Settings>,
    backends: Backends,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), WorkerError> {
    let fetchers = fetchers::Fetchers::new(&config)?;
    let ns = Namespace::new(config.namespace.clone());
    let worker = Arc::new(task::TaskRunner::new(
        config.clone(),
        backends.clone(),
        fetchers,
        ns.clone(),
    ));
    let mut consumer = backends
        .queue
        .consume(&ns.fetch_queue(), config.prefetch)
        .await?;
    let slots = Arc::new(Semaphore::new(config.worker_concurrency));
    let mut in_flight = JoinSet::new();
    tracing::info!(queue = %ns.fetch_queue(), concurrency = config.worker_concurrency, "fetcher worker consuming");

    tokio::pin!(shutdown);
    loop {
        // Take a fetch slot before taking a delivery, so deliveries this worker cannot start
        // stay in the prefetch buffer, where a graceful shutdown hands them back.
        let permit = tokio::select! {
            _ = &mut shutdown => break,
            permit = slots.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        let delivery = tokio::select! {
            _ = &mut shutdown => break,
            delivery = consumer.next() => match delivery {
                Some(delivery) => delivery,
                None => break,
            },
        };
        let worker = worker.clone();
        in_flight.spawn(async move {
            worker.handle(delivery).await;
            drop(permit);
        });
        // Reap finished tasks so the set does not grow with the crawl.
        while in_flight.try_join_next().is_some() {}
    }

    tracing::info!(in_flight = in_flight.len(), "fetcher worker stopping");
    consumer.close().await;
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while in_flight.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!("in-flight tasks did not finish in time; they will be redelivered");
        in_flight.abort_all();
    }
    Ok(())
}

pub fn fetch_config(config: &Settings) -> FetchConfig {
    FetchConfig {
        connect_timeout: Duration::from_millis(config.fetch_connect_timeout_ms),
        read_timeout: Duration::from_millis(config.fetch_read_timeout_ms),
        total_timeout: Duration::from_millis(config.fetch_total_timeout_ms),
        max_body_bytes: config.fetch_max_body_bytes,
        max_redirects: config.fetch_max_redirects,
        user_agent: config.user_agent.clone(),
        allow_private_networks: config.allow_private_networks,
        proxy: None,
    }
}
