//! The Redis keys of one politeness host.
//!
//! Every key of a host wraps its [`host_key`](crate::host_key) in a `{...}` hash tag, so
//! all of them live in one Redis Cluster slot and one Lua script may touch them together:
//! `{ns}:host:{https://example.com:443}:leases`.

use crawler_core::Namespace;

pub(super) struct HostKeys {
    /// Sorted set of live lease ids, scored by expiry (ms).
    pub leases: String,
    /// Hash: `next_start` (ms) and `strikes` (consecutive throttled answers).
    pub pace: String,
    /// The stored robots.txt answer (see `StoredRobots::encode`).
    pub robots: String,
}

impl HostKeys {
    pub fn new(namespace: &Namespace, host_key: &str) -> Self {
        let key = |suffix: &str| namespace.global_key(&format!("host:{{{host_key}}}:{suffix}"));
        HostKeys {
            leases: key("leases"),
            pace: key("pace"),
            robots: key("robots"),
        }
    }
}
