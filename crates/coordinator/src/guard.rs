//! The private-network rule at submission time.
//!
//! Unless the operator allows private networks, a start URL or webhook URL whose host is,
//! or resolves to, a loopback, private, link-local or otherwise non-public address is
//! refused with a 400. This check is early feedback, not the protection itself: the
//! fetcher and the dispatcher enforce the same rule where they open sockets (see
//! `crawler_netguard`), which also catches DNS rebinding and redirects. That is why a host
//! that does not resolve right now is accepted here: DNS may be briefly down, and if the
//! name later resolves to a private address the connect-time guard refuses it.

use std::time::Duration;

use crawler_netguard::GuardError;
use url::Url;

use crate::error::ApiError;

/// Longest wait for DNS during a submission.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(5);

/// Checks `raw` (an already validated http(s) URL) for `field`.
pub async fn check(field: &str, raw: &str, allow_private: bool) -> Result<(), ApiError> {
    if allow_private {
        return Ok(());
    }
    let url = Url::parse(raw).map_err(|e| ApiError::bad_request(field, e.to_string()))?;
    match tokio::time::timeout(RESOLVE_TIMEOUT, crawler_netguard::check_url(&url, false)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(GuardError::Resolve { host, error })) => {
            tracing::debug!(%host, %error, "{field}: host does not resolve; accepted, the connect-time guard decides");
            Ok(())
        }
        Ok(Err(error)) => Err(ApiError::bad_request(
            field,
            format!(
                "{field} is not allowed: {error}; this deployment refuses non-public addresses"
            ),
        )),
        Err(_elapsed) => {
            tracing::debug!(%url, "{field}: DNS timed out; accepted, the connect-time guard decides");
            Ok(())
        }
    }
}
