//! A DNS resolver for reqwest that hands the connector public addresses only.

use std::net::{IpAddr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::is_public_ip;

/// The code that error messages about refused addresses carry, so that callers which see
/// the error only through layers of wrapping (reqwest, hyper) can still classify it.
pub const BLOCKED_ADDRESS_CODE: &str = "blocked_address";

/// Every address a host name resolved to was non-public.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("blocked_address: {host} resolves only to non-public addresses (first: {ip})")]
pub struct BlockedAddress {
    pub host: String,
    pub ip: IpAddr,
}

/// Resolves names with the system resolver and drops every non-public address.
///
/// Installed as the HTTP client's resolver, this is what makes the guard hold at connect
/// time: the connector can only ever dial an address this returned, whatever the DNS
/// answered when the URL was first checked and wherever a redirect points. When no
/// public address remains the lookup fails with [`BlockedAddress`], whose message holds
/// [`BLOCKED_ADDRESS_CODE`].
#[derive(Debug, Clone, Copy, Default)]
pub struct PublicOnlyResolver;

impl PublicOnlyResolver {
    pub fn new() -> Self {
        Self
    }
}

impl Resolve for PublicOnlyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            // Port 0 is replaced by the URL's port (or the scheme's default) by reqwest.
            let resolved: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public = keep_public(&host, resolved)?;
            let addrs: Addrs = Box::new(public.into_iter());
            Ok(addrs)
        })
    }
}

/// Keeps the public addresses among `resolved`; fails when there were some and none is
/// public.
pub(crate) fn keep_public(
    host: &str,
    resolved: Vec<SocketAddr>,
) -> Result<Vec<SocketAddr>, BlockedAddress> {
    let first = resolved.first().map(SocketAddr::ip);
    let public: Vec<SocketAddr> = resolved
        .into_iter()
        .filter(|a| is_public_ip(a.ip()))
        .collect();
    match first {
        Some(ip) if public.is_empty() => Err(BlockedAddress {
            host: host.to_string(),
            ip,
        }),
        _ => Ok(public),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        SocketAddr::new(s.parse().unwrap(), 0)
    }

    #[test]
    fn private_addresses_are_dropped_from_a_mixed_answer() {
        let kept = keep_public(
            "mixed.test",
            vec![addr("10.0.0.1"), addr("8.8.8.8"), addr("::1")],
        )
        .unwrap();
        assert_eq!(kept, vec![addr("8.8.8.8")]);
    }

    #[test]
    fn an_answer_with_only_private_addresses_is_blocked() {
        let err = keep_public(
            "rebind.test",
            vec![addr("127.0.0.1"), addr("169.254.169.254")],
        )
        .unwrap_err();
        assert_eq!(err.ip, "127.0.0.1".parse::<IpAddr>().unwrap());
        assert!(err.to_string().contains(BLOCKED_ADDRESS_CODE));
    }

    #[tokio::test]
    async fn resolving_localhost_fails_with_blocked_address() {
        let name: Name = "localhost".parse().unwrap();
        let err = match PublicOnlyResolver::new().resolve(name).await {
            Ok(addrs) => panic!("localhost resolved to {:?}", addrs.collect::<Vec<_>>()),
            Err(err) => err,
        };
        assert!(err.to_string().contains(BLOCKED_ADDRESS_CODE), "{err}");
        assert!(err.downcast_ref::<BlockedAddress>().is_some());
    }

    #[tokio::test]
    async fn resolution_failures_are_not_reported_as_blocked() {
        let name: Name = "no-such-host.invalid".parse().unwrap();
        let err = match PublicOnlyResolver::new().resolve(name).await {
            Ok(addrs) => panic!("resolved to {:?}", addrs.collect::<Vec<_>>()),
            Err(err) => err,
        };
        assert!(!err.to_string().contains(BLOCKED_ADDRESS_CODE), "{err}");
    }
}
