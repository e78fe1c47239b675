//! Flow control: at most `webhook_max_in_flight_per_endpoint` requests in flight to one
//! endpoint, so that a receiver is never sent more at once than it was promised, whatever
//! the dispatcher's own concurrency. A plain receiver (one thread, a short accept queue)
//! otherwise resets connections when all of a dispatcher's slots go to it at once.
//!
//! The limit is per dispatcher process: each holds a semaphore per endpoint. An event that
//! waits [`PERMIT_WAIT`] without getting a permit goes back to the broker for
//! [`THROTTLED_RETRY`] instead of holding one of the dispatcher's slots any longer, so that
//! one busy endpoint cannot keep every other endpoint's events waiting behind it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crawler_deliveries::EndpointKey;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How long an event waits for its endpoint's permit before it is put back.
pub const PERMIT_WAIT: Duration = Duration::from_secs(2);
/// How long a throttled event waits in the broker before it is tried again.
pub const THROTTLED_RETRY: Duration = Duration::from_secs(1);
/// Past this many endpoints, idle ones are forgotten when a new one is seen.
const TIDY_ABOVE: usize = 1_000;

pub struct EndpointPermits {
    per_endpoint: usize,
    semaphores: Mutex<HashMap<EndpointKey, Arc<Semaphore>>>,
}

impl EndpointPermits {
    pub fn new(per_endpoint: usize) -> Self {
        EndpointPermits {
            per_endpoint: per_endpoint.max(1),
            semaphores: Mutex::new(HashMap::new()),
        }
    }

    /// A permit to send to `endpoint`, held until it is dropped; `None` when none came
    /// free within `wait`.
    pub async fn acquire(
        &self,
        endpoint: &EndpointKey,
        wait: Duration,
    ) -> Option<OwnedSemaphorePermit> {
        let semaphore = self.semaphore(endpoint);
        match tokio::time::timeout(wait, semaphore.acquire_owned()).await {
            Ok(Ok(permit)) => Some(permit),
            // The semaphore is never closed; a timeout is the only way to get here.
            Ok(Err(_)) | Err(_) => None,
        }
    }

    fn semaphore(&self, endpoint: &EndpointKey) -> Arc<Semaphore> {
        // A panic elsewhere cannot leave the map inconsistent: recover it.
        let mut map = self.semaphores.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(semaphore) = map.get(endpoint) {
            return semaphore.clone();
        }
        if map.len() >= TIDY_ABOVE {
            // An idle endpoint's semaphore is held by the map alone, with every permit free.
            let full = self.per_endpoint;
            map.retain(|_, s| Arc::strong_count(s) > 1 || s.available_permits() < full);
        }
        let semaphore = Arc::new(Semaphore::new(self.per_endpoint));
        map.insert(endpoint.clone(), semaphore.clone());
        semaphore
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crawler_deliveries::Tenant;

    #[tokio::test(start_paused = true)]
    async fn one_endpoint_gets_at_most_its_permits_and_others_are_not_held_up() {
        let permits = EndpointPermits::new(2);
        let busy = EndpointKey::inline(&Tenant::new("t", "live"), "http://busy/");
        let other = EndpointKey::inline(&Tenant::new("t", "live"), "http://other/");
        let first = permits.acquire(&busy, PERMIT_WAIT).await;
        let second = permits.acquire(&busy, PERMIT_WAIT).await;
        assert!(first.is_some() && second.is_some());
        assert!(permits.acquire(&busy, PERMIT_WAIT).await.is_none());
        assert!(permits.acquire(&other, PERMIT_WAIT).await.is_some());
        drop(first);
        assert!(permits.acquire(&busy, PERMIT_WAIT).await.is_some());
    }
}
