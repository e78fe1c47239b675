//! What every binary does before handing over to its library: connect to the backends
//! (waiting for them to come up, so a role can start before the broker), and turn SIGINT
//! and SIGTERM into a shutdown future.

use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crawler_core::WebhookEvent;

use crawler_config::Settings;
use crawler_deliveries::{self as delivery_store, DeliveryBackend, DeliveryStore};
use crawler_politeness::{Politeness, PolitenessConfig};
use crawler_queue::{Queue, QueueBackend};
use crawler_state::{StateBackend, StateStore};
use crawler_telemetry::readiness::{probe, Readiness};

/// Where the embedded mode receives a copy of every event.
pub type WorkerTap = tokio::sync::mpsc::UnboundedSender<WebhookEvent>;

/// The backends every role shares: RabbitMQ and Redis for the distributed roles, the
/// in-memory implementations for the embedded mode.
#[derive(Clone)]
pub struct Services {
    pub queue: Arc<dyn Queue>,
    pub state: Arc<dyn StateStore>,
    pub deliveries: Arc<dyn DeliveryStore>,
    pub politeness: Arc<Politeness>,
}

/// Connects to RabbitMQ and Redis, retrying with capped backoff until both answer.
pub async fn connect_distributed(config: &Settings) -> Services {
    let namespace = config.namespace.as_str();
    let queue_backend = QueueBackend::RabbitMq {
        url: config.amqp_url.clone(),
    };
    let state_backend = StateBackend::Redis {
        url: config.redis_url.clone(),
        retention: Duration::from_secs(config.job_retention_sec),
    };
    let delivery_backend = DeliveryBackend::Redis {
        url: config.redis_url.clone(),
    };
    let queue = retry("RabbitMQ", || crawler_queue::connect(&queue_backend)).await;
    let state = retry("Redis", || {
        crawler_state::connect(&state_backend, namespace)
    })
    .await;
    let deliveries = retry("Redis", || {
        delivery_store::connect(&delivery_backend, namespace)
    })
    .await;
    let politeness_config = PolitenessConfig::from_settings(config);
    let politeness = retry("Redis", || {
        Politeness::redis(&config.redis_url, namespace, politeness_config.clone())
    })
    .await;
    Services {
        queue,
        state,
        deliveries,
        politeness: Arc::new(politeness),
    }
}

/// The in-memory queue, job state and delivery store, for one process.
pub fn memory_services(config: &Settings) -> Services {
    let politeness = Politeness::memory(PolitenessConfig::from_settings(config));
    Services {
        queue: Arc::new(crawler_queue::memory::MemoryQueue::new()),
        state: Arc::new(crawler_state::memory::MemoryStore::new()),
        deliveries: Arc::new(crawler_deliveries::memory::MemoryDeliveryStore::new()),
        politeness: Arc::new(politeness),
    }
}

impl Services {
    /// What a webhook dispatcher needs.
    pub fn dispatcher(&self) -> crawler_dispatcher::Backends {
        crawler_dispatcher::Backends {
            queue: self.queue.clone(),
            state: self.state.clone(),
            deliveries: self.deliveries.clone(),
        }
    }

    /// What a fetcher worker needs.
    pub fn worker(&self, tap: Option<WorkerTap>) -> crawler_fetcher::worker::Backends {
        crawler_fetcher::worker::Backends {
            queue: self.queue.clone(),
            state: self.state.clone(),
            politeness: self.politeness.clone(),
            tap,
        }
    }
}

impl Services {
    /// The subset the coordinator needs.
    pub fn coordinator(&self) -> crawler_coordinator::Backends {
        crawler_coordinator::Backends {
            queue: self.queue.clone(),
            state: self.state.clone(),
            deliveries: self.deliveries.clone(),
        }
    }
}

/// Ends a role's process: nothing on success, else one line (causes included, for people
/// and log shippers alike) and exit status 1.
pub fn exit_on_error(role: &str, outcome: anyhow::Result<()>) {
    if let Err(error) = outcome {
        eprintln!("{role}: {error:#}");
        std::process::exit(1);
    }
}

/// For roles without an API (fetcher workers, dispatchers): serves `/metrics`, `/healthz`
/// and `/readyz` on the configured `metrics_addr`, if any, then connects to the backends.
/// The listener comes first so that metrics and liveness answer while the broker or Redis
/// is still down; `/readyz` says 503 until both answer.
pub async fn connect_with_metrics(config: &Settings) -> anyhow::Result<Services> {
    let connected: Arc<OnceLock<Services>> = Arc::default();
    if !config.metrics_addr.is_empty() {
        let listener = tokio::net::TcpListener::bind(config.metrics_addr.as_str())
            .await
            .map_err(|e| {
                anyhow::anyhow!("cannot listen on metrics_addr {}: {e}", config.metrics_addr)
            })?;
        let readiness = backends_readiness(connected.clone());
        tokio::spawn(async move {
            let serving =
                crawler_telemetry::serve_metrics(listener, readiness, std::future::pending());
            if let Err(e) = serving.await {
                tracing::warn!(error = %e, "metrics listener stopped");
            }
        });
    }
    let services = connect_distributed(config).await;
    // Only this function sets it, once.
    let _ = connected.set(services.clone());
    Ok(services)
}

/// The broker and the job store, each up only once connected and answering.
fn backends_readiness(connected: Arc<OnceLock<Services>>) -> Readiness {
    Readiness::new(move || {
        let services = connected.get().cloned();
        async move {
            let Some(services) = services else {
                return vec![("queue", false), ("state", false)];
            };
            let (queue, state) = tokio::join!(
                probe(services.queue.is_ready()),
                probe(services.state.is_ready()),
            );
            vec![("queue", queue), ("state", state)]
        }
    })
}

/// Calls `connect` until it succeeds, logging each failure and backing off up to 5 s.
async fn retry<T, E, F, Fut>(what: &str, mut connect: F) -> T
where
    E: std::fmt::Display,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut delay = Duration::from_millis(200);
    loop {
        match connect().await {
            Ok(value) => return value,
            Err(e) => {
                tracing::warn!(error = %e, retry_in = ?delay, "{what} is not reachable yet");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// Resolves on the first SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
    tracing::info!("shutdown requested");
}
