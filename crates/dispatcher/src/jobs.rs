//! A short-lived cache of job callbacks.
//!
//! Every event needs its job's callback (URL, secret, filter, headers). A job record never
//! changes after submission, so caching it for a minute saves one state-store round trip
//! per event, which matters when a crawl produces thousands of page events a minute.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crawler_core::{Callback, JobId};
use crawler_state::{StateError, StateStore};
use tokio::time::Instant;

const TTL: Duration = Duration::from_secs(60);
/// Entries kept at most; past this, expired entries are dropped, then everything.
const CAPACITY: usize = 10_000;

/// A job's callback (or its absence) and when that answer expires.
type Entry = (Instant, Option<Arc<Callback>>);

pub struct JobCache {
    state: Arc<dyn StateStore>,
    entries: Mutex<HashMap<JobId, Entry>>,
}

impl JobCache {
    pub fn new(state: Arc<dyn StateStore>) -> Self {
        JobCache {
            state,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The job's callback; `None` for a job without one. A job that does not exist (yet,
    /// or any more) is not cached, so a record written a moment later is seen.
    pub async fn callback(&self, job: JobId) -> Result<Option<Arc<Callback>>, StateError> {
        let now = Instant::now();
        if let Some((expires, callback)) = self.lock().get(&job) {
            if *expires > now {
                return Ok(callback.clone());
            }
        }
        let Some(record) = self.state.job(job).await? else {
            return Ok(None);
        };
        let callback = record.spec.callback.map(Arc::new);
        let mut entries = self.lock();
        if entries.len() >= CAPACITY {
            entries.retain(|_, (expires, _)| *expires > now);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(job, (now + TTL, callback.clone()));
        Ok(callback)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<JobId, Entry>> {
        // The map holds plain data; a panic elsewhere cannot leave it inconsistent.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}
