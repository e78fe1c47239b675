//! What one fetch attempt came to, and what an HTTP status means for a page.

use std::time::Duration;

use crate::fetch::{FetchError, FetchedPage};

/// What a fetch attempt came to.
pub(super) enum Attempt {
    Success(FetchedPage),
    /// Worth another try later (timeouts, connection errors, 5xx, 429).
    Retry {
        reason: String,
        page: Option<FetchedPage>,
        retry_after: Option<Duration>,
    },
    /// Final failure.
    Failed {
        reason: String,
        page: Option<FetchedPage>,
    },
}

impl Attempt {
    /// What the politeness layer needs to back the host off: the status and its
    /// `Retry-After`, when there was a response.
    pub(super) fn throttle_signal(&self) -> (Option<u16>, Option<Duration>) {
        let page = match self {
            Attempt::Success(page) => Some(page),
            Attempt::Retry { page, .. } | Attempt::Failed { page, .. } => page.as_ref(),
        };
        page.map_or((None, None), |p| (Some(p.status), p.retry_after()))
    }
}

/// Decides what an HTTP status means for the page: 2xx succeed; 5xx and 429 are retried
/// (and 404 when the job asks); everything else fails at once with `http_<code>`.
pub(super) fn classify_status(page: FetchedPage, retry_404: bool) -> Attempt {
    let status = page.status;
    let reason = format!("http_{status}");
    match status {
        200..=299 => Attempt::Success(page),
        429 | 500..=599 => {
            let retry_after = page.retry_after();
            Attempt::Retry {
                reason,
                page: Some(page),
                retry_after,
            }
        }
        404 if retry_404 => Attempt::Retry {
            reason,
            page: Some(page),
            retry_after: None,
        },
        _ => Attempt::Failed {
            reason,
            page: Some(page),
        },
    }
}

pub(super) fn fail_reason_of(error: &FetchError) -> String {
    error.fail_reason().to_string()
}
