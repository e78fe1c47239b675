//! Job records with their regexes compiled: every task of a job needs them, and reading and
//! compiling them per task would cost a Redis round trip and a regex compilation per page.

use std::sync::Arc;

use crawler_core::JobId;
use crawler_state::record_cache::JobRecordCache;
use crawler_state::{StateError, StateStore};

use crate::scope::JobContext;

/// Jobs cached at most.
const CAPACITY: usize = 1024;

pub struct JobCache {
    contexts: JobRecordCache<JobContext>,
}

impl Default for JobCache {
    fn default() -> Self {
        JobCache {
            contexts: JobRecordCache::new(CAPACITY),
        }
    }
}

impl JobCache {
    /// The job's context, or `None` when the job does not exist (any more).
    pub async fn get(
        &self,
        state: &dyn StateStore,
        job: JobId,
    ) -> Result<Option<Arc<JobContext>>, StateError> {
        self.contexts
            .get_or_load(state, job, |record| {
                JobContext::new(record).map_err(|e| StateError::Corrupt(e.to_string()))
            })
            .await
    }
}
