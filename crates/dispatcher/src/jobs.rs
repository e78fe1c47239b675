//! Job callbacks, cached: every event needs its job's callback (URL, secret, filter,
//! headers), and reading the record per event would cost a state-store round trip per
//! page event, which matters when a crawl produces thousands of them a minute.

use std::sync::Arc;

use crawler_core::{Callback, JobId};
use crawler_state::record_cache::JobRecordCache;
use crawler_state::{StateError, StateStore};

/// Jobs cached at most.
const CAPACITY: usize = 10_000;

pub struct JobCache {
    state: Arc<dyn StateStore>,
    callbacks: JobRecordCache<Option<Arc<Callback>>>,
}

impl JobCache {
    pub fn new(state: Arc<dyn StateStore>) -> Self {
        JobCache {
            state,
            callbacks: JobRecordCache::new(CAPACITY),
        }
    }

    /// The job's callback; `None` for a job without one, or one that does not exist (yet,
    /// or any more).
    pub async fn callback(&self, job: JobId) -> Result<Option<Arc<Callback>>, StateError> {
        let cached = self
            .callbacks
            .get_or_load(self.state.as_ref(), job, |record| {
                Ok::<_, StateError>(record.spec.callback.map(Arc::new))
            })
            .await?;
        Ok(cached.and_then(|callback| (*callback).clone()))
    }
}
