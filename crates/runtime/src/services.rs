//! The backends every role shares, and the one place that chooses them.
//!
//! [`Services::connect`] turns a [`BackendChoice`] into the backend of each store and opens
//! each through its crate's own factory (`crawler_queue::connect`, `crawler_state::connect`,
//! the dispatcher's `store::connect`, `endpoints::connect`, `Politeness::connect`). Nothing
//! else in the program names a backend type, so the embedded mode runs the very code paths
//! the distributed roles run, over other backends. A store only some roles use (the
//! endpoint store) is opened only by a process that runs one of them ([`Roles`]).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crawler_config::Settings;
use crawler_core::retry::{retry_transient, Backoff};
use crawler_core::WebhookEvent;
use crawler_deliveries::endpoints::{self as endpoint_store, EndpointStore};
use crawler_deliveries::{self as delivery_store, DeliveryBackend, DeliveryStore, StoreError};
use crawler_politeness::{Politeness, PolitenessConfig, PolitenessError};
use crawler_queue::{Queue, QueueBackend, QueueError};
use crawler_scheduler::{ScheduleBackend, ScheduleError, ScheduleStore};
use crawler_state::{StateBackend, StateError, StateStore};

/// Where the embedded mode receives a copy of every event.
pub type WorkerTap = tokio::sync::mpsc::UnboundedSender<WebhookEvent>;

/// Which backends a process runs over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendChoice {
    /// RabbitMQ and Redis at the configured URLs, shared by every process of the namespace.
    Distributed,
    /// The in-memory queue and stores, private to this process (the embedded mode).
    Memory,
}

/// The roles a process runs, which decide the stores it opens beyond the shared ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Roles {
    /// The coordinator's API, or the scheduler, which starts jobs through its state.
    pub api: bool,
    pub dispatcher: bool,
}

impl Roles {
    pub const API: Roles = Roles {
        api: true,
        dispatcher: false,
    };
    pub const DISPATCHER: Roles = Roles {
        api: false,
        dispatcher: true,
    };
    pub const WORKER: Roles = Roles {
        api: false,
        dispatcher: false,
    };
    /// Every role in one process (`crawler serve`, `crawler crawl`).
    pub const ALL: Roles = Roles {
        api: true,
        dispatcher: true,
    };

    /// The API manages endpoints and checks the names jobs give; the dispatcher reads
    /// the endpoint a job names. Workers never touch them.
    fn use_endpoints(self) -> bool {
        self.api || self.dispatcher
    }
}

/// A backend that could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum ServicesError {
    #[error("cannot open the queue")]
    Queue(#[source] QueueError),
    #[error("cannot open the job state")]
    State(#[source] StateError),
    #[error("cannot open the delivery store")]
    Deliveries(#[source] StoreError),
    #[error("cannot open the endpoint store")]
    Endpoints(#[source] StoreError),
    /// A role was asked for its services from a process that did not open them.
    #[error("this process did not open the {0} (see `Roles`)")]
    NotOpened(&'static str),
    #[error("cannot open the schedule store")]
    Schedules(#[source] ScheduleError),
    #[error("cannot open the politeness store")]
    Politeness(#[source] PolitenessError),
    #[error("cannot listen on metrics_addr {addr}")]
    MetricsListener {
        addr: String,
        #[source]
        source: std::io::Error,
    },
}

/// The backends every role shares: RabbitMQ and Redis for the distributed roles, the
/// in-memory implementations for the embedded mode.
#[derive(Clone)]
pub struct Services {
    pub queue: Arc<dyn Queue>,
    pub state: Arc<dyn StateStore>,
    pub deliveries: Arc<dyn DeliveryStore>,
    /// The tenants' named webhook endpoints, when the process runs a role that uses them.
    pub endpoints: Option<Arc<dyn EndpointStore>>,
    /// Stored schedules, their runs and the scheduler's lease.
    pub schedules: Arc<dyn ScheduleStore>,
    pub politeness: Arc<Politeness>,
}

impl Services {
    /// Opens the backends `choice` names that `roles` use. The distributed ones are retried
    /// with capped backoff until they answer, so that a role may start before the broker
    /// and Redis (compose, systemd); that never returns an error. The in-memory ones are
    /// opened once, and an error is returned as it comes.
    pub async fn connect(
        config: &Settings,
        choice: BackendChoice,
        roles: Roles,
    ) -> Result<Services, ServicesError> {
        let namespace = config.namespace.as_str();
        let backends = ChosenBackends::of(config, choice);
        let patience = match choice {
            BackendChoice::Distributed => Patience::UntilUp,
            BackendChoice::Memory => Patience::Once,
        };
        let queue = patience
            .attempt("RabbitMQ", || crawler_queue::connect(&backends.queue))
            .await
            .map_err(ServicesError::Queue)?;
        let state = patience
            .attempt("Redis", || {
                crawler_state::connect(&backends.state, namespace)
            })
            .await
            .map_err(ServicesError::State)?;
        let deliveries = patience
            .attempt("Redis", || {
                delivery_store::connect(&backends.deliveries, namespace)
            })
            .await
            .map_err(ServicesError::Deliveries)?;
        let endpoints = if roles.use_endpoints() {
            let opened = patience
                .attempt("Redis", || {
                    endpoint_store::connect(&backends.deliveries, namespace)
                })
                .await
                .map_err(ServicesError::Endpoints)?;
            Some(opened)
        } else {
            None
        };
        let schedules = patience
            .attempt("Redis", || {
                crawler_scheduler::connect(&backends.schedules, namespace)
            })
            .await
            .map_err(ServicesError::Schedules)?;
        // Politeness state lives wherever the job state lives.
        let politeness_config = PolitenessConfig::from_settings(config);
        let politeness = patience
            .attempt("Redis", || {
                Politeness::connect(&backends.state, namespace, politeness_config.clone())
            })
            .await
            .map_err(ServicesError::Politeness)?;
        Ok(Services {
            queue,
            state,
            deliveries,
            endpoints,
            schedules,
            politeness: Arc::new(politeness),
        })
    }

    fn endpoints(&self) -> Result<Arc<dyn EndpointStore>, ServicesError> {
        self.endpoints
            .clone()
            .ok_or(ServicesError::NotOpened("endpoint store"))
    }

    /// What a webhook dispatcher needs; the process must have been connected with it.
    pub fn dispatcher(&self) -> Result<crawler_dispatcher::DispatcherServices, ServicesError> {
        Ok(crawler_dispatcher::DispatcherServices {
            queue: self.queue.clone(),
            state: self.state.clone(),
            deliveries: self.deliveries.clone(),
            endpoints: self.endpoints()?,
        })
    }

    /// What a fetcher worker needs.
    pub fn worker(&self, tap: Option<WorkerTap>) -> crawler_fetcher::worker::WorkerServices {
        crawler_fetcher::worker::WorkerServices {
            queue: self.queue.clone(),
            state: self.state.clone(),
            politeness: self.politeness.clone(),
            tap,
        }
    }

    /// The subset the coordinator needs; the process must have been connected with it.
    pub fn coordinator(&self) -> Result<crawler_coordinator::ApiServices, ServicesError> {
        Ok(crawler_coordinator::ApiServices {
            queue: self.queue.clone(),
            state: self.state.clone(),
            deliveries: self.deliveries.clone(),
            endpoints: self.endpoints()?,
            schedules: self.schedules.clone(),
        })
    }
}

/// The backend of each store for one [`BackendChoice`].
struct ChosenBackends {
    queue: QueueBackend,
    state: StateBackend,
    deliveries: DeliveryBackend,
    schedules: ScheduleBackend,
}

impl ChosenBackends {
    fn of(config: &Settings, choice: BackendChoice) -> ChosenBackends {
        match choice {
            BackendChoice::Distributed => ChosenBackends {
                queue: QueueBackend::RabbitMq {
                    url: config.amqp_url.clone(),
                },
                state: StateBackend::Redis {
                    url: config.redis_url.clone(),
                    retention: Duration::from_secs(config.job_retention_sec),
                },
                deliveries: DeliveryBackend::Redis {
                    url: config.redis_url.clone(),
                },
                schedules: ScheduleBackend::Redis {
                    url: config.redis_url.clone(),
                },
            },
            BackendChoice::Memory => ChosenBackends {
                queue: QueueBackend::Memory,
                state: StateBackend::Memory,
                deliveries: DeliveryBackend::Memory,
                schedules: ScheduleBackend::Memory,
            },
        }
    }
}

/// Pauses between attempts to reach a server that is not up yet.
const CONNECT_BACKOFF: Backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(5));

/// How long to keep trying to open a backend.
#[derive(Clone, Copy)]
enum Patience {
    /// Until it answers: a server may come up after the process that needs it.
    UntilUp,
    /// Once: an in-memory backend that fails to open will not open on a second try.
    Once,
}

impl Patience {
    /// Calls `connect` as this patience says, through the one retry helper: capped,
    /// jittered backoff from 200 ms to 5 s between attempts, each failure logged.
    async fn attempt<T, E, F, Fut>(self, what: &str, connect: F) -> Result<T, E>
    where
        E: std::fmt::Display,
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let keep_trying = matches!(self, Patience::UntilUp);
        retry_transient(
            &format!("connecting to {what}"),
            &CONNECT_BACKOFF,
            |_| keep_trying,
            connect,
        )
        .await
    }
}
