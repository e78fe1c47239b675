//! The in-memory delivery store of the embedded mode: one mutex over plain maps, which
//! gives every operation the atomicity the Redis store gets from Lua scripts. Nothing
//! survives the process, which is what the embedded mode promises.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use crawler_core::time::now_ms;
use crawler_core::{EventEnvelope, JobId};

use crate::endpoints::EndpointKey;
use crate::log::LogEntry;
use crate::{
    Attempt, AttemptLog, BodyStore, DeadLetter, DeadLetterStore, DeliveryStore, EndpointHealth,
    HealthStore, SettledLog, StoreError, StoredBody,
};

#[derive(Default)]
pub(crate) struct Inner {
    attempts: HashMap<(JobId, String), Vec<Attempt>>,
    delivered: HashSet<(JobId, String)>,
    settled: HashMap<JobId, HashSet<String>>,
    /// Per job, its log; an entry's sequence number is its position plus one.
    pub(crate) job_logs: HashMap<JobId, Vec<LogEntry>>,
    /// Per endpoint, the last sequence number given and the newest entries.
    pub(crate) endpoint_logs: HashMap<EndpointKey, (u64, VecDeque<LogEntry>)>,
    pub(crate) events: HashMap<(JobId, String), (Instant, EventEnvelope)>,
    /// Per job, event id to dead letter; a BTreeMap of insertion order keeps listings stable.
    dead: HashMap<JobId, BTreeMap<String, (u64, DeadLetter)>>,
    dead_sequence: u64,
    endpoints: HashMap<EndpointKey, EndpointHealth>,
    bodies: HashMap<(JobId, String), (Instant, StoredBody)>,
}

#[derive(Default)]
pub struct MemoryDeliveryStore {
    inner: Mutex<Inner>,
}

impl MemoryDeliveryStore {
    pub fn new() -> Self {
        Self::default()
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves plain maps behind, still consistent enough
        // to read; recover them rather than poisoning the whole dispatcher.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl AttemptLog for MemoryDeliveryStore {
    async fn record_attempt(
        &self,
        job: JobId,
        event_id: &str,
        attempt: &Attempt,
    ) -> Result<(), StoreError> {
        let mut inner = self.lock();
        let log = inner
            .attempts
            .entry((job, event_id.to_string()))
            .or_default();
        log.push(attempt.clone());
        Ok(())
    }

    async fn attempts(&self, job: JobId, event_id: &str) -> Result<Vec<Attempt>, StoreError> {
        let inner = self.lock();
        let key = (job, event_id.to_string());
        Ok(inner.attempts.get(&key).cloned().unwrap_or_default())
    }

    async fn mark_delivered(&self, job: JobId, event_id: &str) -> Result<(), StoreError> {
        self.lock().delivered.insert((job, event_id.to_string()));
        Ok(())
    }

    async fn is_delivered(&self, job: JobId, event_id: &str) -> Result<bool, StoreError> {
        Ok(self.lock().delivered.contains(&(job, event_id.to_string())))
    }

    async fn unmark_delivered(&self, job: JobId, event_id: &str) -> Result<(), StoreError> {
        self.lock().delivered.remove(&(job, event_id.to_string()));
        Ok(())
    }
}

#[async_trait]
impl SettledLog for MemoryDeliveryStore {
    async fn mark_settled(&self, job: JobId, event_id: &str) -> Result<(), StoreError> {
        let mut inner = self.lock();
        inner
            .settled
            .entry(job)
            .or_default()
            .insert(event_id.to_string());
        Ok(())
    }

    async fn settled_count(&self, job: JobId) -> Result<u64, StoreError> {
        let inner = self.lock();
        Ok(inner.settled.get(&job).map_or(0, |s| s.len() as u64))
    }

    async fn forget_settled(&self, job: JobId, event_ids: &[String]) -> Result<(), StoreError> {
        if let Some(settled) = self.lock().settled.get_mut(&job) {
            for id in event_ids {
                settled.remove(id);
            }
        }
        Ok(())
    }
}

#[async_trait]
impl DeadLetterStore for MemoryDeliveryStore {
    async fn put_dead_letter(&self, letter: &DeadLetter) -> Result<(), StoreError> {
        let mut inner = self.lock();
        inner.dead_sequence += 1;
        let sequence = inner.dead_sequence;
        let mut stored = letter.clone();
        stored.attempts.clear();
        inner
            .dead
            .entry(letter.job_id)
            .or_default()
            .insert(letter.event_id.clone(), (sequence, stored));
        Ok(())
    }

    async fn dead_letters(&self, job: JobId) -> Result<Vec<DeadLetter>, StoreError> {
        let inner = self.lock();
        let mut letters: Vec<(u64, DeadLetter)> = inner
            .dead
            .get(&job)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default();
        letters.sort_by_key(|(sequence, _)| *sequence);
        Ok(letters
            .into_iter()
            .map(|(_, mut letter)| {
                let key = (job, letter.event_id.clone());
                letter.attempts = inner.attempts.get(&key).cloned().unwrap_or_default();
                letter
            })
            .collect())
    }

    async fn remove_dead_letter(
        &self,
        job: JobId,
        event_id: &str,
        record_id: &str,
    ) -> Result<bool, StoreError> {
        let mut inner = self.lock();
        let Some(letters) = inner.dead.get_mut(&job) else {
            return Ok(false);
        };
        let matches = letters
            .get(event_id)
            .is_some_and(|(_, letter)| letter.record_id == record_id);
        if matches {
            letters.remove(event_id);
        }
        Ok(matches)
    }
}

#[async_trait]
impl HealthStore for MemoryDeliveryStore {
    async fn record_endpoint_failure(
        &self,
        endpoint: &EndpointKey,
        attempt: &Attempt,
        disable_after: u32,
    ) -> Result<EndpointHealth, StoreError> {
        let mut inner = self.lock();
        let health = inner.endpoints.entry(endpoint.clone()).or_default();
        health.consecutive_failures = health.consecutive_failures.saturating_add(1);
        health.last_attempt = Some(attempt.clone());
        if health.consecutive_failures >= disable_after && !health.disabled {
            health.disabled = true;
            health.disabled_at_ms = Some(now_ms());
        }
        Ok(health.clone())
    }

    async fn record_endpoint_success(
        &self,
        endpoint: &EndpointKey,
        attempt: &Attempt,
    ) -> Result<(), StoreError> {
        let mut inner = self.lock();
        let health = inner.endpoints.entry(endpoint.clone()).or_default();
        health.consecutive_failures = 0;
        health.last_attempt = Some(attempt.clone());
        Ok(())
    }

    async fn endpoint_health(&self, endpoint: &EndpointKey) -> Result<EndpointHealth, StoreError> {
        Ok(self
            .lock()
            .endpoints
            .get(endpoint)
            .cloned()
            .unwrap_or_default())
    }

    async fn reenable_endpoint(&self, endpoint: &EndpointKey) -> Result<bool, StoreError> {
        let mut inner = self.lock();
        let Some(health) = inner.endpoints.get_mut(endpoint) else {
            return Ok(false);
        };
        let was_disabled = health.disabled;
        health.consecutive_failures = 0;
        health.disabled = false;
        health.disabled_at_ms = None;
        Ok(was_disabled)
    }

    async fn forget_endpoint(&self, endpoint: &EndpointKey) -> Result<(), StoreError> {
        self.lock().endpoints.remove(endpoint);
        Ok(())
    }
}

#[async_trait]
impl BodyStore for MemoryDeliveryStore {
    async fn put_body(
        &self,
        job: JobId,
        body: &StoredBody,
        retention: Duration,
    ) -> Result<(), StoreError> {
        let mut inner = self.lock();
        let now = Instant::now();
        // Expired bodies are dropped on every write so the map cannot grow without bound.
        inner.bodies.retain(|_, (expires, _)| *expires > now);
        inner
            .bodies
            .insert((job, body.url.clone()), (now + retention, body.clone()));
        Ok(())
    }

    async fn body(&self, job: JobId, url: &str) -> Result<Option<StoredBody>, StoreError> {
        let inner = self.lock();
        Ok(inner
            .bodies
            .get(&(job, url.to_string()))
            .filter(|(expires, _)| *expires > Instant::now())
            .map(|(_, body)| body.clone()))
    }
}

#[async_trait]
impl DeliveryStore for MemoryDeliveryStore {
    async fn is_ready(&self) -> bool {
        true
    }
}
