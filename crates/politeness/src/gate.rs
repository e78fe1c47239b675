//! Per-host pacing across all workers: at most `max_concurrency` requests in flight to a
//! host, and at least `min_interval` between two request starts.
//!
//! A worker asks [`HostGate::acquire`] before each fetch. The answer is either a
//! [`Lease`] on one of the host's slots, or how long to wait before asking again; the
//! worker then delays the task rather than hold a fetch slot while it waits. After the
//! fetch it calls [`HostGate::release`], with a [`Backoff`] when the host answered 429 or
//! 503. Leases expire after [`GateSettings::lease_ttl`], so a worker killed mid-fetch
//! frees its slot by itself.

use std::time::Duration;

use async_trait::async_trait;
use url::Url;

use crate::PolitenessError;

/// How a host is paced, decided per request by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaceRules {
    /// Leases live at once on the host; 0 is read as 1.
    pub max_concurrency: u32,
    /// Least time between two granted starts.
    pub min_interval: Duration,
}

/// What a gate store needs to know once, at construction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GateSettings {
    /// How long a lease lives if it is never released.
    pub lease_ttl: Duration,
    /// The longest wait suggested when every slot is busy; a slot frees when some fetch
    /// ends, which the gate cannot foresee, so it suggests asking again soon.
    pub busy_retry: Duration,
}

impl Default for GateSettings {
    fn default() -> Self {
        GateSettings {
            lease_ttl: Duration::from_secs(120),
            busy_retry: Duration::from_millis(100),
        }
    }
}

/// The answer of [`HostGate::acquire`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gate {
    /// Fetch now, then release the lease.
    Granted(Lease),
    /// Ask again after this long (the time to the next allowed start, or a short retry
    /// when every slot is busy). Never zero.
    Wait(Duration),
}

/// A claim on one of a host's concurrency slots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    host_key: String,
    id: String,
    /// When the lease expires, in the milliseconds of the store's own clock.
    expires_at_ms: u64,
}

impl Lease {
    pub(crate) fn new(host_key: &str, id: String, expires_at_ms: u64) -> Self {
        Lease {
            host_key: host_key.to_string(),
            id,
            expires_at_ms,
        }
    }

    pub fn host_key(&self) -> &str {
        &self.host_key
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub(crate) fn expires_at_ms(&self) -> u64 {
        self.expires_at_ms
    }
}

/// How long a host is left alone after it answered 429 or 503.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backoff {
    /// The server said how long (`Retry-After`, already capped by the caller).
    Exactly(Duration),
    /// The server did not say: `base`, doubled for each further consecutive throttled
    /// answer from the host (counted across all workers), at most `cap`.
    Escalating { base: Duration, cap: Duration },
}

#[async_trait]
pub trait HostGate: Send + Sync + 'static {
    /// Grants a lease when fewer than `rules.max_concurrency` leases of `host_key` are live
    /// and the host's next allowed start has come; the grant moves the next allowed start
    /// to now + `rules.min_interval`.
    async fn acquire(&self, host_key: &str, rules: PaceRules) -> Result<Gate, PolitenessError>;

    /// Frees the lease's slot. A `backoff` pushes the host's next allowed start to at
    /// least now + the backoff and counts a throttled answer; `None` resets that count.
    ///
    /// Idempotent: releasing a lease again frees nothing more, and while the lease would
    /// still have been live, applies no second backoff. (After its expiry a repeat cannot
    /// be told from a late first release, so its backoff is applied again; pushing the
    /// next start to "at least" a time is harmless to repeat.)
    async fn release(&self, lease: &Lease, backoff: Option<Backoff>)
        -> Result<(), PolitenessError>;
}

/// The politeness host of a URL: `scheme://host:port`, with the scheme's default port
/// written out, so `http://a.test/` and `http://a.test:80/x` share one host.
pub fn host_key(url: &Url) -> Result<String, PolitenessError> {
    let invalid = || PolitenessError::InvalidUrl(url.as_str().to_string());
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid());
    }
    let host = url.host_str().ok_or_else(invalid)?;
    let port = url.port_or_known_default().ok_or_else(invalid)?;
    Ok(format!(
        "{}://{}:{}",
        url.scheme(),
        host.to_ascii_lowercase(),
        port
    ))
}

/// The escalated pause for the `strikes`-th consecutive throttled answer (1-based).
pub(crate) fn escalated(base: Duration, cap: Duration, strikes: u32) -> Duration {
    let doublings = strikes.saturating_sub(1).min(31);
    base.saturating_mul(1u32 << doublings).min(cap)
}

/// Milliseconds of a duration, saturating rather than wrapping.
pub(crate) fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_key_writes_the_default_port_and_lower_cases_the_host() {
        let key = |raw: &str| host_key(&Url::parse(raw).unwrap()).unwrap();
        assert_eq!(key("http://A.Test/x?y"), "http://a.test:80");
        assert_eq!(key("http://a.test:80/"), "http://a.test:80");
        assert_eq!(key("https://a.test/"), "https://a.test:443");
        assert_eq!(key("https://a.test:8443/"), "https://a.test:8443");
        assert_eq!(key("http://[::1]:8080/"), "http://[::1]:8080");
        assert_eq!(key("http://bücher.test/"), "http://xn--bcher-kva.test:80");
        assert!(host_key(&Url::parse("mailto:a@b.test").unwrap()).is_err());
        assert!(host_key(&Url::parse("ftp://a.test/").unwrap()).is_err());
    }

    #[test]
    fn escalation_doubles_up_to_the_cap() {
        let base = Duration::from_secs(5);
        let cap = Duration::from_secs(30);
        let steps: Vec<u64> = (1..=5)
            .map(|strikes| escalated(base, cap, strikes).as_secs())
            .collect();
        assert_eq!(steps, vec![5, 10, 20, 30, 30]);
        assert_eq!(escalated(base, cap, 1000), cap);
    }
}
