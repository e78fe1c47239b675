//! [`HostGate`] in one process.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;

use super::{elapsed_ms, lock, HostMap};
use crate::gate::{escalated, millis};
use crate::{Backoff, Gate, GateSettings, HostGate, Lease, PaceRules, PolitenessError};

#[derive(Default)]
struct HostPace {
    /// Lease id -> expiry (ms).
    leases: HashMap<String, u64>,
    next_start_ms: u64,
    /// Consecutive throttled answers.
    strikes: u32,
}

impl HostPace {
    fn drop_expired(&mut self, now: u64) {
        self.leases.retain(|_, expires_at| *expires_at > now);
    }

    fn is_idle(&self, now: u64) -> bool {
        self.leases.is_empty() && self.next_start_ms <= now && self.strikes == 0
    }
}

pub struct MemoryGate {
    settings: GateSettings,
    epoch: Instant,
    hosts: Mutex<HostMap<HostPace>>,
}

impl MemoryGate {
    pub fn new(settings: GateSettings) -> Self {
        MemoryGate {
            settings,
            epoch: Instant::now(),
            hosts: Mutex::new(HostMap::new()),
        }
    }
}

#[async_trait]
impl HostGate for MemoryGate {
    async fn acquire(&self, host_key: &str, rules: PaceRules) -> Result<Gate, PolitenessError> {
        let now = elapsed_ms(self.epoch);
        let mut hosts = lock(&self.hosts);
        hosts.sweep_if_large(|_, pace| {
            pace.drop_expired(now);
            !pace.is_idle(now)
        });
        let pace = hosts.entries.entry(host_key.to_string()).or_default();
        pace.drop_expired(now);
        if now < pace.next_start_ms {
            return Ok(Gate::Wait(Duration::from_millis(pace.next_start_ms - now)));
        }
        if pace.leases.len() >= rules.max_concurrency.max(1) as usize {
            // The earliest expiry bounds the wait only when it comes sooner than the retry.
            let earliest = pace.leases.values().min().copied().unwrap_or(u64::MAX);
            let wait = millis(self.settings.busy_retry).min(earliest.saturating_sub(now));
            return Ok(Gate::Wait(Duration::from_millis(wait.max(1))));
        }
        let id = uuid::Uuid::new_v4().to_string();
        let expires_at = now.saturating_add(millis(self.settings.lease_ttl));
        pace.leases.insert(id.clone(), expires_at);
        pace.next_start_ms = now.saturating_add(millis(rules.min_interval));
        Ok(Gate::Granted(Lease::new(host_key, id, expires_at)))
    }

    async fn release(
        &self,
        lease: &Lease,
        backoff: Option<Backoff>,
    ) -> Result<(), PolitenessError> {
        let now = elapsed_ms(self.epoch);
        let mut hosts = lock(&self.hosts);
        let pace = hosts
            .entries
            .entry(lease.host_key().to_string())
            .or_default();
        let removed = pace.leases.remove(lease.id()).is_some();
        if !removed && now < lease.expires_at_ms() {
            // The lease was live until released, so this is a repeat.
            return Ok(());
        }
        match backoff {
            None => pace.strikes = 0,
            Some(backoff) => {
                pace.strikes = pace.strikes.saturating_add(1);
                let pause = match backoff {
                    Backoff::Exactly(pause) => pause,
                    Backoff::Escalating { base, cap } => escalated(base, cap, pace.strikes),
                };
                pace.next_start_ms = pace.next_start_ms.max(now.saturating_add(millis(pause)));
            }
        }
        Ok(())
    }
}
