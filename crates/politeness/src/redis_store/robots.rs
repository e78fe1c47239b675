//! [`RobotsStore`] over Redis: one string per host holding the encoded answer, expiring by
//! itself (`SET ... PX`), so no sweeper is needed.

use std::time::Duration;

use super::keys::HostKeys;
use super::RedisPoliteness;
use crate::gate::millis;
use crate::{PolitenessError, RobotsStore, StoredRobots};
use async_trait::async_trait;

#[async_trait]
impl RobotsStore for RedisPoliteness {
    async fn get(&self, host_key: &str) -> Result<Option<StoredRobots>, PolitenessError> {
        let key = HostKeys::new(&self.namespace, host_key).robots;
        let mut conn = self.conn();
        let raw: Option<Vec<u8>> = self
            .run(redis::cmd("GET").arg(&key).query_async(&mut conn))
            .await?;
        Ok(raw.and_then(|raw| {
            let decoded = StoredRobots::decode(&raw);
            if decoded.is_none() {
                // Fetching the file again overwrites the bad entry; failing instead would
                // stall the host until the entry expired.
                tracing::warn!(%key, "unreadable stored robots.txt; fetching it again");
            }
            decoded
        }))
    }

    async fn put(
        &self,
        host_key: &str,
        robots: &StoredRobots,
        ttl: Duration,
    ) -> Result<(), PolitenessError> {
        let key = HostKeys::new(&self.namespace, host_key).robots;
        let mut conn = self.conn();
        self.run(
            redis::cmd("SET")
                .arg(&key)
                .arg(robots.encode())
                .arg("PX")
                .arg(millis(ttl).max(1))
                .query_async(&mut conn),
        )
        .await
    }
}
