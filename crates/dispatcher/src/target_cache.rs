//! Delivery targets, cached: every event needs its job's target (URL, secret, filter,
//! headers, profile), and reading the records per event would cost store round trips per
//! page event, which matters when a crawl produces thousands of them a minute.
//!
//! What a job's events go to is read from its record once: its inline callback (a target
//! that never changes) or the name of its tenant's stored endpoint. A stored endpoint can
//! be changed or deleted while the job runs, so its target is kept only for
//! [`ENDPOINT_TTL`]: an edit reaches every dispatcher within that time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crawler_core::{JobId, Tenant};
use crawler_deliveries::endpoints::{Endpoint, EndpointStore};
use crawler_deliveries::EndpointKey;
use crawler_state::record_cache::JobRecordCache;
use crawler_state::{StateError, StateStore};

use crate::handled::HandleError;
use crate::target::Target;

/// Jobs cached at most, and stored endpoints cached at most.
const CAPACITY: usize = 10_000;
/// How long a stored endpoint's target is used before it is read again.
pub const ENDPOINT_TTL: Duration = Duration::from_secs(2);

/// Where a job's events go, as its record says.
enum JobTarget {
    None,
    Inline(Arc<Target>),
    Named { tenant: Tenant, name: String },
}

/// Stored endpoints' targets by key, with when each was read (`None`: no such endpoint).
type NamedTargets = HashMap<EndpointKey, (Instant, Option<Arc<Target>>)>;

pub struct TargetCache {
    state: Arc<dyn StateStore>,
    endpoints: Arc<dyn EndpointStore>,
    jobs: JobRecordCache<JobTarget>,
    named: Mutex<NamedTargets>,
}

impl TargetCache {
    pub fn new(state: Arc<dyn StateStore>, endpoints: Arc<dyn EndpointStore>) -> Self {
        TargetCache {
            state,
            endpoints,
            jobs: JobRecordCache::new(CAPACITY),
            named: Mutex::new(HashMap::new()),
        }
    }

    /// Where the job's events go: its tenant's endpoint named by `webhook_name`, or its
    /// inline callback, an anonymous endpoint of its tenant. `None` for a job without
    /// either, one whose named endpoint was deleted, or one that does not exist (yet, or
    /// any more).
    pub async fn target(&self, job: JobId) -> Result<Option<Arc<Target>>, HandleError> {
        let cached = self
            .jobs
            .get_or_load(self.state.as_ref(), job, |record| {
                let spec = record.spec;
                let target = match (spec.webhook_name, &spec.callback) {
                    (Some(name), _) => JobTarget::Named {
                        tenant: spec.tenant,
                        name,
                    },
                    (None, Some(callback)) => JobTarget::Inline(Arc::new(Target {
                        // An async job's callback is tried fewer times than the schedule.
                        attempts: callback.attempts,
                        ..Target::from_endpoint(&Endpoint::inline(spec.tenant, callback))
                    })),
                    (None, None) => JobTarget::None,
                };
                Ok::<_, StateError>(target)
            })
            .await?;
        match cached.as_deref() {
            None | Some(JobTarget::None) => Ok(None),
            Some(JobTarget::Inline(target)) => Ok(Some(target.clone())),
            Some(JobTarget::Named { tenant, name }) => self.named(tenant, name).await,
        }
    }

    async fn named(&self, tenant: &Tenant, name: &str) -> Result<Option<Arc<Target>>, HandleError> {
        let key = EndpointKey::named(tenant, name);
        if let Some((read_at, target)) = self.lock().get(&key) {
            if read_at.elapsed() < ENDPOINT_TTL {
                return Ok(target.clone());
            }
        }
        let endpoint = self.endpoints.get(tenant, name).await?;
        if endpoint.is_none() {
            tracing::warn!(endpoint = %key, "a job names a webhook endpoint that no longer exists; its events are dropped");
        }
        let target = endpoint.map(|e| Arc::new(Target::from_endpoint(&e)));
        let mut named = self.lock();
        if named.len() >= CAPACITY {
            named.clear();
        }
        named.insert(key, (Instant::now(), target.clone()));
        Ok(target)
    }

    fn lock(&self) -> MutexGuard<'_, NamedTargets> {
        // Plain data: a panic elsewhere cannot leave it inconsistent.
        self.named.lock().unwrap_or_else(|e| e.into_inner())
    }
}
