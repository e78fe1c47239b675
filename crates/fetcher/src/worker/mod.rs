//! The fetcher worker: consumes fetch tasks and carries each through fetch, link admission,
//! page event and completion, acknowledging it only once all of that is confirmed.
//!
//! Concurrency is bounded twice: the queue's prefetch bounds how many tasks this worker
//! holds, and the consume loop's permits (`crawler_queue::consume_loop`) bound how many it
//! fetches at once. A task is never acknowledged before its effects are durable, so a worker
//! killed at any point loses nothing: the broker redelivers the task and every state step is
//! idempotent.

mod attempt;
mod context;
mod events;
mod fetchers;
mod outcome;
mod replay;
mod task;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use crawler_config::Settings;
use crawler_core::{Namespace, WebhookEvent};
use crawler_queue::consume_loop::{self, Limits, MessageHandler};
use crawler_queue::typed::FetchQueue;
use crawler_queue::{Queue, QueueError, ReceivedMessage};
use crawler_state::StateStore;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crawler_politeness::Politeness;

use crate::fetch::{FetchConfig, FetchError};

pub use context::JobCache;

/// What a worker talks to.
#[derive(Clone)]
pub struct WorkerServices {
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
/// hurried: they hand their task back, and another worker does it again.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Runs a worker until `shutdown` resolves, then stops consuming, lets in-flight tasks finish
/// (up to a grace period, after which they hand their tasks back) and returns.
pub async fn run(
    config: Arc<Settings>,
    services: WorkerServices,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), WorkerError> {
    let fetchers = fetchers::Fetchers::new(&config)?;
    let ns = Namespace::new(config.namespace.clone());
    let worker = Arc::new(task::TaskRunner::new(
        config.clone(),
        services.clone(),
        fetchers,
        ns.clone(),
    ));
    let fetch_queue = FetchQueue::new(services.queue.clone(), &ns);
    tokio::pin!(shutdown);
    let started = fetch_queue
        .start_consuming(config.prefetch, &mut shutdown)
        .await?;
    let Some(consumer) = started else {
        return Ok(());
    };
    let limits = Limits {
        concurrency: config.worker_concurrency,
        grace: SHUTDOWN_GRACE,
    };
    tracing::info!(queue = %fetch_queue.name(), concurrency = config.worker_concurrency, "fetcher worker consuming");
    consume_loop::run("fetcher worker", consumer, worker, limits, shutdown).await;
    Ok(())
}

#[async_trait]
impl MessageHandler for task::TaskRunner {
    async fn handle(&self, message: ReceivedMessage, hurry: CancellationToken) {
        task::TaskRunner::handle(self, message, hurry).await;
    }
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
