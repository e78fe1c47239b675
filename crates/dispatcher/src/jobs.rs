//! Job endpoints, cached: every event needs the endpoint its job delivers to (URL, secret,
//! filter, headers, profile), and reading the record per event would cost a state-store round trip per
//! page event, which matters when a crawl produces thousands of them a minute.

use std::sync::Arc;

use crawler_core::JobId;
use crawler_deliveries::endpoints::Endpoint;
use crawler_deliveries::Tenant;
use crawler_state::record_cache::JobRecordCache;
use crawler_state::{StateError, StateStore};

/// Jobs cached at most.
const CAPACITY: usize = 10_000;

pub struct JobCache {
    state: Arc<dyn StateStore>,
    endpoints: JobRecordCache<Option<Arc<Endpoint>>>,
}

impl JobCache {
    pub fn new(state: Arc<dyn StateStore>) -> Self {
        JobCache {
            state,
            endpoints: JobRecordCache::new(CAPACITY),
        }
    }

    /// The endpoint the job delivers to (today its inline callback, an anonymous endpoint
    /// of the job's owner); `None` for a job without one, or one that does not exist (yet,
    /// or any more).
    pub async fn endpoint(&self, job: JobId) -> Result<Option<Arc<Endpoint>>, StateError> {
        let cached = self
            .endpoints
            .get_or_load(self.state.as_ref(), job, |record| {
                let tenant = Tenant::new(record.owner);
                let endpoint = record
                    .spec
                    .callback
                    .map(|callback| Arc::new(Endpoint::inline(tenant, &callback)));
                Ok::<_, StateError>(endpoint)
            })
            .await?;
        Ok(cached.and_then(|endpoint| (*endpoint).clone()))
    }
}
