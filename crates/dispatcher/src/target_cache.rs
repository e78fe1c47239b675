//! Delivery targets, cached per job: every event needs its job's target (URL, secret,
//! filter, headers, profile), and reading the record per event would cost a state-store
//! round trip per page event, which matters when a crawl produces thousands of them a
//! minute.

use std::sync::Arc;

use crawler_core::JobId;
use crawler_deliveries::endpoints::Endpoint;
use crawler_deliveries::Tenant;
use crawler_state::record_cache::JobRecordCache;
use crawler_state::{StateError, StateStore};

use crate::target::Target;

/// Jobs cached at most.
const CAPACITY: usize = 10_000;

pub struct TargetCache {
    state: Arc<dyn StateStore>,
    targets: JobRecordCache<Option<Arc<Target>>>,
}

impl TargetCache {
    pub fn new(state: Arc<dyn StateStore>) -> Self {
        TargetCache {
            state,
            targets: JobRecordCache::new(CAPACITY),
        }
    }

    /// Where the job's events go: today its inline callback, an anonymous endpoint of the
    /// job's owner. `None` for a job without a callback, or one that does not exist (yet,
    /// or any more).
    pub async fn target(&self, job: JobId) -> Result<Option<Arc<Target>>, StateError> {
        let cached = self
            .targets
            .get_or_load(self.state.as_ref(), job, |record| {
                let tenant = Tenant::new(record.owner);
                let target = record.spec.callback.as_ref().map(|callback| Target {
                    attempts: callback.attempts,
                    ..Target::from_endpoint(&Endpoint::inline(tenant, callback))
                });
                Ok::<_, StateError>(target.map(Arc::new))
            })
            .await?;
        Ok(cached.and_then(|target| (*target).clone()))
    }
}
