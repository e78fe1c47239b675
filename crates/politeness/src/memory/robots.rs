//! [`RobotsStore`] in one process.

use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;

use super::{lock, HostMap};
use crate::{PolitenessError, RobotsStore, StoredRobots};

pub struct MemoryRobotsStore {
    entries: Mutex<HostMap<(StoredRobots, Instant)>>,
}

impl MemoryRobotsStore {
    pub fn new() -> Self {
        MemoryRobotsStore {
            entries: Mutex::new(HostMap::new()),
        }
    }
}

impl Default for MemoryRobotsStore {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl RobotsStore for MemoryRobotsStore {
    async fn get(&self, host_key: &str) -> Result<Option<StoredRobots>, PolitenessError> {
        let now = Instant::now();
        let entries = lock(&self.entries);
        Ok(entries
            .entries
            .get(host_key)
            .filter(|(_, expires_at)| *expires_at > now)
            .map(|(stored, _)| stored.clone()))
    }

    async fn put(
        &self,
        host_key: &str,
        robots: &StoredRobots,
        ttl: Duration,
    ) -> Result<(), PolitenessError> {
        let now = Instant::now();
        let mut entries = lock(&self.entries);
        entries.sweep_if_large(|_, (_, expires_at)| *expires_at > now);
        entries
            .entries
            .insert(host_key.to_string(), (robots.clone(), now + ttl));
        Ok(())
    }
}
