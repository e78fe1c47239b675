//! All roles in one process: fetcher workers and the webhook dispatcher as tasks over shared
//! backends (in-memory by default). The same library code as the distributed roles runs
//! above the queue and state traits; only the backends differ.

use std::sync::Arc;

use crawler_config::Settings;
use crawler_fetcher::worker;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::services::{Services, ServicesError, WorkerTap};

pub struct EmbeddedOptions {
    /// Worker loops to run, each with `worker_concurrency` fetches in flight.
    pub workers: usize,
    /// Whether to run a webhook dispatcher.
    pub dispatcher: bool,
    /// Receives a copy of every event the workers publish.
    pub tap: Option<WorkerTap>,
}

/// The running roles; [`Embedded::stop`] shuts them down gracefully.
pub struct Embedded {
    pub backends: Services,
    stop: CancellationToken,
    roles: JoinSet<()>,
}

impl Embedded {
    /// Starts the roles; fails only when `backends` lack a store a role needs.
    pub fn start(
        config: Arc<Settings>,
        backends: Services,
        options: EmbeddedOptions,
    ) -> Result<Embedded, ServicesError> {
        // Asked first, so that nothing has started when a store is missing.
        let dispatcher = options
            .dispatcher
            .then(|| backends.dispatcher())
            .transpose()?;
        let stop = CancellationToken::new();
        let mut roles = JoinSet::new();
        for n in 0..options.workers.max(1) {
            let worker_backends = backends.worker(options.tap.clone());
            let config = config.clone();
            let stopped = stop.clone().cancelled_owned();
            roles.spawn(async move {
                if let Err(e) = worker::run(config, worker_backends, stopped).await {
                    tracing::error!(worker = n, error = %e, "worker stopped with an error");
                }
            });
        }
        if let Some(dispatcher_backends) = dispatcher {
            let config = config.clone();
            let stopped = stop.clone().cancelled_owned();
            roles.spawn(async move {
                if let Err(e) = crawler_dispatcher::run(config, dispatcher_backends, stopped).await
                {
                    tracing::error!(error = %e, "dispatcher stopped with an error");
                }
            });
        }
        Ok(Embedded {
            backends,
            stop,
            roles,
        })
    }

    /// Asks every role to stop and waits until they did.
    pub async fn stop(mut self) {
        self.stop.cancel();
        while self.roles.join_next().await.is_some() {}
    }
}
