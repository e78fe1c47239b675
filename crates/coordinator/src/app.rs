//! What every handler shares: settings, backends, the auth mode and the validation rules.

use std::sync::Arc;

use crawler_config::Settings;
use std::collections::HashMap;

use axum::http::HeaderMap;
use crawler_core::{JobId, JobRecord, Namespace};
use crawler_deliveries::endpoints::EndpointStore;
use crawler_deliveries::DeliveryStore;
use crawler_queue::typed::{EventsQueue, FetchQueue};
use crawler_queue::Queue;
use crawler_scheduler::ScheduleStore;
use crawler_state::record_cache::JobRecordCache;
use crawler_state::StateStore;

use crate::auth::{self, AuthMode, Caller};
use crate::error::ApiError;
use crate::validate::Rules;

/// Async job records cached at most (see [`AppState::async_records`]).
const ASYNC_RECORDS_CACHED: usize = 64;

/// The queue and the job store the coordinator works with; which implementations they
/// are (RabbitMQ and Redis, or in-memory) is the caller's choice.
#[derive(Clone)]
pub struct ApiServices {
    pub queue: Arc<dyn Queue>,
    pub state: Arc<dyn StateStore>,
    /// Delivery records, dead letters and stored bodies, written by the dispatcher.
    pub deliveries: Arc<dyn DeliveryStore>,
    /// The tenants' named webhook endpoints.
    pub endpoints: Arc<dyn EndpointStore>,
    /// Stored schedules; the coordinator's scheduler starts their due runs.
    pub schedules: Arc<dyn ScheduleStore>,
}

/// The state the router is built over.
pub struct AppState {
    pub settings: Arc<Settings>,
    pub services: ApiServices,
    pub auth: AuthMode,
    pub rules: Rules,
    pub namespace: Namespace,
    /// Where seed tasks go.
    pub fetch_queue: FetchQueue,
    /// Where replayed events go.
    pub events_queue: EventsQueue,
    /// Base of the URLs handed out (`statusUrl`, `next`), without a trailing slash.
    pub public_base_url: String,
    /// Records of async jobs, whose every item's status read needs its job's record (a
    /// batch's holds up to 50,000 URLs); a record never changes once stored.
    pub async_records: JobRecordCache<JobRecord>,
}

impl AppState {
    pub fn new(
        settings: Arc<Settings>,
        services: ApiServices,
        auth: AuthMode,
        public_base_url: impl Into<String>,
    ) -> Self {
        let namespace = Namespace::new(settings.namespace.clone());
        AppState {
            rules: Rules::from_settings(&settings),
            namespace: namespace.clone(),
            fetch_queue: FetchQueue::new(services.queue.clone(), &namespace),
            events_queue: EventsQueue::new(services.queue.clone(), &namespace),
            public_base_url: public_base_url.into().trim_end_matches('/').to_string(),
            async_records: JobRecordCache::new(ASYNC_RECORDS_CACHED),
            settings,
            services,
            auth,
        }
    }

    /// Who is calling, by the key in the headers or the query string.
    pub(crate) fn caller(
        &self,
        headers: &HeaderMap,
        query: &HashMap<String, String>,
    ) -> Result<Caller, ApiError> {
        self.authenticate(auth::key_from_parts(headers, query))
    }

    /// Who presented `key` (found in the headers, the query string or a body field).
    pub(crate) fn authenticate(&self, key: Option<&str>) -> Result<Caller, ApiError> {
        auth::authenticate(
            &self.auth,
            &self.settings.api_keys,
            &self.settings.api_key_pepper,
            key,
        )
    }

    /// `job` when `caller` owns it; another key's job answers 404 exactly like a missing
    /// one, so ids cannot be probed.
    pub(crate) async fn owned_job(&self, caller: &Caller, job: JobId) -> Result<JobId, ApiError> {
        match self.services.state.job(job).await? {
            Some(record) if record.owner == caller.owner => Ok(job),
            _ => Err(ApiError::not_found("no such job")),
        }
    }

    /// Where a job's status is read.
    pub fn status_url(&self, job: &crawler_core::JobId) -> String {
        format!("{}/v1/crawls/{job}", self.public_base_url)
    }
}
