//! [`HostGate`] over Redis: one script per decision (`scripts/acquire.lua`,
//! `scripts/release.lua`), on the Redis server's clock.

use std::time::Duration;

use async_trait::async_trait;

use super::keys::HostKeys;
use super::RedisPoliteness;
use crate::gate::millis;
use crate::{Backoff, Gate, HostGate, Lease, PaceRules, PolitenessError};

#[async_trait]
impl HostGate for RedisPoliteness {
    async fn acquire(&self, host_key: &str, rules: PaceRules) -> Result<Gate, PolitenessError> {
        let keys = HostKeys::new(&self.namespace, host_key);
        let id = uuid::Uuid::new_v4().to_string();
        let mut conn = self.conn();
        let (granted, value): (i64, i64) = self
            .run(
                self.scripts
                    .acquire
                    .key(&keys.leases)
                    .key(&keys.pace)
                    .arg(rules.max_concurrency.max(1))
                    .arg(millis(rules.min_interval))
                    .arg(millis(self.settings.lease_ttl).max(1))
                    .arg(millis(self.settings.busy_retry).max(1))
                    .arg(&id)
                    .invoke_async(&mut conn),
            )
            .await?;
        let value = value.max(1).unsigned_abs();
        Ok(if granted == 1 {
            Gate::Granted(Lease::new(host_key, id, value))
        } else {
            Gate::Wait(Duration::from_millis(value))
        })
    }

    async fn release(
        &self,
        lease: &Lease,
        backoff: Option<Backoff>,
    ) -> Result<(), PolitenessError> {
        let keys = HostKeys::new(&self.namespace, lease.host_key());
        let (kind, pause, cap) = match backoff {
            None => ("none", Duration::ZERO, Duration::ZERO),
            Some(Backoff::Exactly(pause)) => ("exact", pause, pause),
            Some(Backoff::Escalating { base, cap }) => ("escalate", base, cap),
        };
        let mut conn = self.conn();
        let _applied: i64 = self
            .run(
                self.scripts
                    .release
                    .key(&keys.leases)
                    .key(&keys.pace)
                    .arg(lease.id())
                    .arg(lease.expires_at_ms())
                    .arg(kind)
                    .arg(millis(pause))
                    .arg(millis(cap))
                    .arg(millis(self.settings.lease_ttl).max(1))
                    .invoke_async(&mut conn),
            )
            .await?;
        Ok(())
    }
}
