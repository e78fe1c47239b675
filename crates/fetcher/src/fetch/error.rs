//! Why a fetch failed, in the terms users see in `failReason`.

use std::error::Error as StdError;
use std::net::IpAddr;

use crawler_netguard::{BlockedAddress, GuardError, BLOCKED_ADDRESS_CODE};

/// A fetch that produced no HTTP response to report. HTTP error statuses are not
/// errors: a 404 or a 503 is a [`super::FetchedPage`], and the caller decides.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("the request timed out")]
    Timeout,
    #[error("the server refused the connection")]
    ConnectionRefused,
    #[error("DNS resolution failed: {0}")]
    Dns(String),
    #[error("TLS failed: {0}")]
    Tls(String),
    #[error("blocked_address: {host} is not a public address ({ip:?})")]
    BlockedAddress { host: String, ip: Option<IpAddr> },
    #[error("the body is larger than {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("redirect loop: {url} was reached twice")]
    RedirectLoop { url: String },
    #[error("more than {limit} redirects")]
    TooManyRedirects { limit: usize },
    #[error("invalid URL: {0}")]
    InvalidUrl(String),
    /// The request could not be built from the options (for example a header name with
    /// spaces); retrying cannot help.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    #[error("connection error: {0}")]
    Other(String),
}

impl FetchError {
    /// The code reported to users as the page's `failReason`.
    pub fn fail_reason(&self) -> &'static str {
        match self {
            FetchError::Timeout => "timeout",
            FetchError::ConnectionRefused => "connection_refused",
            FetchError::Dns(_) => "dns_error",
            FetchError::Tls(_) => "tls_error",
            FetchError::BlockedAddress { .. } => "blocked_address",
            FetchError::TooLarge { .. } => "too_large",
            FetchError::RedirectLoop { .. } => "redirect_loop",
            FetchError::TooManyRedirects { .. } => "too_many_redirects",
            FetchError::InvalidUrl(_) => "invalid_url",
            FetchError::InvalidRequest(_) => "invalid_request",
            FetchError::Other(_) => "connection_error",
        }
    }

    /// Whether trying the same request again later may succeed.
    ///
    /// Timeouts and connection problems are often passing. DNS failures are retried too,
    /// because a resolver timing out looks the same as a name that does not exist and
    /// losing a page to a passing resolver hiccup is worse than two wasted lookups. TLS
    /// failures are certificate or protocol mismatches that do not fix themselves.
    pub fn is_retryable(&self) -> bool {
        match self {
            FetchError::Timeout
            | FetchError::ConnectionRefused
            | FetchError::Dns(_)
            | FetchError::Other(_) => true,
            FetchError::Tls(_)
            | FetchError::BlockedAddress { .. }
            | FetchError::TooLarge { .. }
            | FetchError::RedirectLoop { .. }
            | FetchError::TooManyRedirects { .. }
            | FetchError::InvalidUrl(_)
            | FetchError::InvalidRequest(_) => false,
        }
    }

    /// Classifies a reqwest error by walking its chain of sources, where the underlying
    /// cause (the resolver's refusal, an I/O error, a rustls error) is found.
    pub fn from_reqwest(err: &reqwest::Error) -> FetchError {
        let chain = || sources(err);
        // The guard's refusal comes first: it is wrapped as a DNS error by the connector.
        for cause in chain() {
            if let Some(blocked) = cause.downcast_ref::<BlockedAddress>() {
                return FetchError::BlockedAddress {
                    host: blocked.host.clone(),
                    ip: Some(blocked.ip),
                };
            }
            if cause.to_string().contains(BLOCKED_ADDRESS_CODE) {
                return FetchError::BlockedAddress {
                    host: host_of(err),
                    ip: None,
                };
            }
        }
        if err.is_timeout() {
            return FetchError::Timeout;
        }
        for cause in chain() {
            if let Some(io) = cause.downcast_ref::<std::io::Error>() {
                match io.kind() {
                    std::io::ErrorKind::ConnectionRefused => return FetchError::ConnectionRefused,
                    std::io::ErrorKind::TimedOut => return FetchError::Timeout,
                    _ => {}
                }
            }
            if let Some(tls) = cause.downcast_ref::<rustls::Error>() {
                return FetchError::Tls(tls.to_string());
            }
            // hyper-util names resolution failures "dns error" and keeps the resolver's
            // own error as the source.
            if cause.to_string() == "dns error" {
                let detail = sources(cause)
                    .nth(1)
                    .map(ToString::to_string)
                    .unwrap_or_default();
                return FetchError::Dns(detail);
            }
        }
        FetchError::Other(describe_chain(err))
    }
}

impl From<GuardError> for FetchError {
    fn from(err: GuardError) -> Self {
        match err {
            GuardError::Blocked { host, ip } => FetchError::BlockedAddress { host, ip: Some(ip) },
            GuardError::Resolve { error, .. } => FetchError::Dns(error),
            GuardError::MissingHost => FetchError::InvalidUrl("the URL has no host".to_string()),
        }
    }
}

/// The error and its causes. An I/O error's `source()` skips the error it wraps, and
/// TLS errors arrive wrapped in two of them, so the walk descends into those too.
fn sources<'a>(
    err: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    std::iter::successors(Some(err), |&e| cause_of(e))
}

fn cause_of<'a>(err: &'a (dyn StdError + 'static)) -> Option<&'a (dyn StdError + 'static)> {
    match err.downcast_ref::<std::io::Error>() {
        Some(io) => io.get_ref().map(|inner| inner as &(dyn StdError + 'static)),
        None => err.source(),
    }
}

fn host_of(err: &reqwest::Error) -> String {
    err.url()
        .and_then(|u| u.host_str())
        .unwrap_or_default()
        .to_string()
}

/// Joins the messages of the whole chain: reqwest's own message alone ("error sending
/// request") does not say what went wrong.
fn describe_chain(err: &reqwest::Error) -> String {
    sources(err)
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_retry_advice() {
        let cases = [
            (FetchError::Timeout, "timeout", true),
            (FetchError::ConnectionRefused, "connection_refused", true),
            (FetchError::Dns("x".into()), "dns_error", true),
            (FetchError::Other("x".into()), "connection_error", true),
            (FetchError::Tls("x".into()), "tls_error", false),
            (
                FetchError::BlockedAddress {
                    host: "h".into(),
                    ip: None,
                },
                "blocked_address",
                false,
            ),
            (FetchError::TooLarge { limit: 1 }, "too_large", false),
            (
                FetchError::RedirectLoop { url: "u".into() },
                "redirect_loop",
                false,
            ),
            (
                FetchError::TooManyRedirects { limit: 1 },
                "too_many_redirects",
                false,
            ),
            (FetchError::InvalidUrl("u".into()), "invalid_url", false),
            (
                FetchError::InvalidRequest("h".into()),
                "invalid_request",
                false,
            ),
        ];
        for (err, code, retryable) in cases {
            assert_eq!(err.fail_reason(), code);
            assert_eq!(err.is_retryable(), retryable, "{code}");
        }
    }
}
