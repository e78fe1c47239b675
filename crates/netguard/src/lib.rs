//! The private-network guard.
//!
//! A crawler fetches whatever URLs its users give it, and follows whatever links and
//! redirects the pages it fetches contain. Without a guard, a public deployment could be
//! turned against its own network: `http://169.254.169.254/` (cloud metadata), an admin
//! panel on `10.0.0.5`, a database on `localhost`. Unless the operator allows private
//! networks, every target must resolve only to public addresses.
//!
//! Checking a URL before fetching it is not enough on its own: a DNS name can answer with
//! a public address to the check and a private one to the connection (DNS rebinding), and
//! a public page can redirect to a private one. So the check is made where the socket is
//! opened: [`PublicOnlyResolver`] is the HTTP client's resolver and hands the connector
//! only public addresses. HTTP clients do not consult the resolver for IP-literal hosts,
//! so [`check_ip_literal`] checks those on the first request and on every redirect hop.

mod classify;
mod resolver;

use std::net::IpAddr;

use url::{Host, Url};

pub use classify::is_public_ip;
pub use resolver::{BlockedAddress, PublicOnlyResolver, BLOCKED_ADDRESS_CODE};

/// Why a URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GuardError {
    /// The host is, or resolves to, an address that is not public.
    #[error("blocked_address: {host} resolves to the non-public address {ip}")]
    Blocked { host: String, ip: IpAddr },
    /// The host name could not be resolved.
    #[error("could not resolve {host}: {error}")]
    Resolve { host: String, error: String },
    /// The URL has no host to check (for example `file:///etc/passwd`).
    #[error("the URL has no host")]
    MissingHost,
}

/// Checks that `url`'s host is, or resolves only to, public addresses.
///
/// IP-literal hosts are checked directly; names are resolved and every address they
/// resolve to must be public, because a client may connect to any of them. With
/// `allow_private` everything passes. This is a check at submission time: the fetch
/// itself must still go through [`PublicOnlyResolver`] and [`check_ip_literal`], since
/// DNS answers can change between now and the connection.
pub async fn check_url(url: &Url, allow_private: bool) -> Result<(), GuardError> {
    check_ip_literal(url, allow_private)?;
    let (false, Some(Host::Domain(domain))) = (allow_private, url.host()) else {
        return Ok(());
    };
    let port = url.port_or_known_default().unwrap_or(80);
    let addrs = tokio::net::lookup_host((domain, port))
        .await
        .map_err(|e| GuardError::Resolve {
            host: domain.to_string(),
            error: e.to_string(),
        })?;
    let mut any = false;
    for addr in addrs {
        any = true;
        check_ip(domain, addr.ip())?;
    }
    if any {
        Ok(())
    } else {
        Err(GuardError::Resolve {
            host: domain.to_string(),
            error: "the name has no addresses".to_string(),
        })
    }
}

/// Checks a URL whose host is an IP literal; host names pass, because the resolver
/// checks them when the connection is made.
///
/// HTTP clients connect to IP-literal hosts without asking the resolver, so this must be
/// called before the first request and before following each redirect.
pub fn check_ip_literal(url: &Url, allow_private: bool) -> Result<(), GuardError> {
    if allow_private {
        return Ok(());
    }
    match url.host() {
        None => Err(GuardError::MissingHost),
        Some(Host::Ipv4(ip)) => check_ip(&url_host(url), ip.into()),
        Some(Host::Ipv6(ip)) => check_ip(&url_host(url), ip.into()),
        Some(Host::Domain(_)) => Ok(()),
    }
}

fn check_ip(host: &str, ip: IpAddr) -> Result<(), GuardError> {
    if is_public_ip(ip) {
        Ok(())
    } else {
        Err(GuardError::Blocked {
            host: host.to_string(),
            ip,
        })
    }
}

fn url_host(url: &Url) -> String {
    url.host_str().unwrap_or_default().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[tokio::test]
    async fn ip_literals_are_checked_without_dns() {
        let err = check_url(&url("http://127.0.0.1:8080/"), false)
            .await
            .unwrap_err();
        assert!(matches!(err, GuardError::Blocked { ip, .. } if ip.is_loopback()));
        let err = check_url(&url("http://[::ffff:10.0.0.1]/"), false)
            .await
            .unwrap_err();
        assert!(matches!(err, GuardError::Blocked { .. }));
        assert!(check_url(&url("http://93.184.216.34/"), false)
            .await
            .is_ok());
        // The WHATWG parser turns other spellings of an IPv4 address into the address.
        let err = check_url(&url("http://0x7f.1/"), false).await.unwrap_err();
        assert!(matches!(err, GuardError::Blocked { .. }));
    }

    #[tokio::test]
    async fn names_resolving_to_loopback_are_blocked() {
        let err = check_url(&url("http://localhost:1/"), false)
            .await
            .unwrap_err();
        assert!(
            matches!(err, GuardError::Blocked { ref host, .. } if host == "localhost"),
            "{err}"
        );
        assert!(err.to_string().contains("blocked_address"));
    }

    #[tokio::test]
    async fn unresolvable_names_are_resolve_errors() {
        let err = check_url(&url("http://no-such-host.invalid/"), false)
            .await
            .unwrap_err();
        assert!(matches!(err, GuardError::Resolve { .. }), "{err}");
    }

    #[tokio::test]
    async fn allow_private_lets_everything_through() {
        assert!(check_url(&url("http://127.0.0.1/"), true).await.is_ok());
        assert!(check_url(&url("http://localhost/"), true).await.is_ok());
    }

    #[test]
    fn ip_literal_check_ignores_names() {
        assert!(check_ip_literal(&url("http://localhost/"), false).is_ok());
        assert!(check_ip_literal(&url("http://example.com/"), false).is_ok());
        assert!(check_ip_literal(&url("http://[::1]/"), false).is_err());
        assert!(check_ip_literal(&url("http://169.254.169.254/latest"), false).is_err());
        assert!(check_ip_literal(&url("http://169.254.169.254/latest"), true).is_ok());
    }
}
