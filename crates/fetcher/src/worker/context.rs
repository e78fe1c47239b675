//! A small cache of job records with their regexes compiled: every task of a job needs
//! them, and reading and compiling them per task would cost a Redis round trip and a regex
//! compilation per page.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crawler_core::JobId;
use crawler_state::{StateError, StateStore};

use crate::scope::JobContext;

/// Jobs cached at most; the cache is simply cleared when full, which is rare and cheap.
const CAPACITY: usize = 1024;

#[derive(Default)]
pub struct JobCache {
    jobs: Mutex<HashMap<JobId, Arc<JobContext>>>,
}

impl JobCache {
    /// The job's context, or `None` when the job does not exist (any more).
    pub async fn get(
        &self,
        state: &dyn StateStore,
        job: JobId,
    ) -> Result<Option<Arc<JobContext>>, StateError> {
        if let Some(found) = self.lock().get(&job) {
            return Ok(Some(found.clone()));
        }
        let Some(record) = state.job(job).await? else {
            return Ok(None);
        };
        let context = match JobContext::new(record) {
            Ok(context) => Arc::new(context),
            Err(e) => return Err(StateError::Corrupt(e.to_string())),
        };
        let mut jobs = self.lock();
        if jobs.len() >= CAPACITY {
            jobs.clear();
        }
        jobs.insert(job, context.clone());
        Ok(Some(context))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<JobId, Arc<JobContext>>> {
        // A panic while holding this lock cannot leave the map inconsistent.
        self.jobs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
