//! A process-local cache of what a role derives from job records (a worker's compiled
//! regexes, a dispatcher's callback), so a task or an event costs no store round trip.
//!
//! A job's record never changes after submission, so an entry stays right for the job's
//! whole life. The cache is bounded by clearing it when full, which is rare and cheap.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use crawler_core::{JobId, JobRecord};

use crate::{JobReads, StateError};

pub struct JobRecordCache<T> {
    capacity: usize,
    entries: Mutex<HashMap<JobId, Arc<T>>>,
}

impl<T> JobRecordCache<T> {
    /// A cache of at most `capacity` jobs.
    pub fn new(capacity: usize) -> Self {
        JobRecordCache {
            capacity,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// What `derive` makes of `job`'s record, reading and deriving only on a miss. `None`
    /// when the job does not exist; that answer is not cached, so a record written a
    /// moment later is seen.
    pub async fn get_or_load<E>(
        &self,
        state: &dyn JobReads,
        job: JobId,
        derive: impl FnOnce(JobRecord) -> Result<T, E>,
    ) -> Result<Option<Arc<T>>, E>
    where
        E: From<StateError>,
    {
        if let Some(found) = self.lock().get(&job) {
            return Ok(Some(found.clone()));
        }
        let Some(record) = state.job(job).await? else {
            return Ok(None);
        };
        let derived = Arc::new(derive(record)?);
        let mut entries = self.lock();
        if entries.len() >= self.capacity {
            entries.clear();
        }
        entries.insert(job, derived.clone());
        Ok(Some(derived))
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<JobId, Arc<T>>> {
        // The map holds plain data; a panic elsewhere cannot leave it inconsistent.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::memory::MemoryStore;
    use crate::JobLifecycle;

    fn record() -> JobRecord {
        serde_json::from_value(serde_json::json!({
            "job_id": uuid::Uuid::new_v4(),
            "owner": "o",
            "spec": {"start_url": "http://site.test/", "url_regexp_include": ".*", "timeout_sec": 60},
            "cost_per_page": 1,
            "created_at_ms": 0,
            "deadline_ms": u64::MAX
        }))
        .expect("a job record")
    }

    #[tokio::test]
    async fn derives_once_per_job_and_does_not_cache_missing_jobs() {
        let store = MemoryStore::new();
        let cache = JobRecordCache::new(10);
        let derived = AtomicUsize::new(0);
        let derive = |r: JobRecord| {
            derived.fetch_add(1, Ordering::SeqCst);
            Ok::<_, StateError>(r.spec.start_url)
        };
        let job = record();
        assert!(cache
            .get_or_load(&store, job.job_id, derive)
            .await
            .unwrap()
            .is_none());
        store.create_job(&job).await.unwrap();
        for _ in 0..3 {
            let url = cache.get_or_load(&store, job.job_id, derive).await.unwrap();
            assert_eq!(
                url.as_deref().map(String::as_str),
                Some("http://site.test/")
            );
        }
        assert_eq!(derived.load(Ordering::SeqCst), 1);
    }
}
