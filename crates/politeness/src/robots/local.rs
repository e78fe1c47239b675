//! The small in-process cache of parsed rules in front of the shared store, so a worker
//! does not ask Redis (and parse the file again) for every page of a host.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use super::rules::RobotsRules;

/// Hosts kept at most; past this, expired entries are dropped, and if that is not enough
/// the cache starts over (a miss costs one store read, never a robots.txt fetch).
const MAX_HOSTS: usize = 10_000;

pub(super) struct LocalRules {
    ttl: Duration,
    entries: Mutex<HashMap<String, (RobotsRules, Instant)>>,
    /// One lock per host being loaded, so the tasks of one worker that miss together
    /// wait for one load instead of each fetching robots.txt.
    loading: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl LocalRules {
    pub fn new(ttl: Duration) -> Self {
        LocalRules {
            ttl,
            entries: Mutex::new(HashMap::new()),
            loading: Mutex::new(HashMap::new()),
        }
    }

    pub fn get(&self, host_key: &str) -> Option<RobotsRules> {
        let now = Instant::now();
        let entries = crate::lock(&self.entries);
        entries
            .get(host_key)
            .filter(|(_, expires_at)| *expires_at > now)
            .map(|(rules, _)| rules.clone())
    }

    /// Keeps `rules` for the local TTL, or for `stored_ttl` when that is shorter.
    pub fn put(&self, host_key: &str, rules: RobotsRules, stored_ttl: Duration) {
        let now = Instant::now();
        let mut entries = crate::lock(&self.entries);
        if entries.len() >= MAX_HOSTS {
            entries.retain(|_, (_, expires_at)| *expires_at > now);
            if entries.len() >= MAX_HOSTS {
                entries.clear();
            }
        }
        let expires_at = now + self.ttl.min(stored_ttl);
        entries.insert(host_key.to_string(), (rules, expires_at));
    }

    /// The load lock of a host; hold it while loading, then call [`Self::loaded`].
    pub fn load_lock(&self, host_key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut loading = crate::lock(&self.loading);
        loading.entry(host_key.to_string()).or_default().clone()
    }

    /// Forgets the load lock of a host once its rules are cached (or the load failed);
    /// tasks still waiting on it hold their own handle and find the cache filled.
    pub fn loaded(&self, host_key: &str) {
        crate::lock(&self.loading).remove(host_key);
    }
}
