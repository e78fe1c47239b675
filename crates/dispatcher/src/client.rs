//! The HTTP side of one delivery attempt.
//!
//! Redirects are followed by hand rather than by reqwest's policy so that each hop is
//! checked against the private-network rule before it is requested: the IP-literal check
//! here, and [`PublicOnlyResolver`] at connect time for names (which also defeats DNS
//! rebinding). Every hop re-sends the same signed body with a POST: a webhook without its
//! body is useless, and the signature stays valid because it does not cover the URL.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use crawler_netguard::{check_ip_literal, PublicOnlyResolver};
use reqwest::header::{HeaderMap, LOCATION, RETRY_AFTER};
use reqwest::StatusCode;
use url::Url;

use crate::schedule::parse_retry_after;

/// Redirect hops followed before an attempt fails.
pub const MAX_REDIRECTS: usize = 5;

/// How one attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptOutcome {
    /// The last HTTP status received, when any.
    pub status: Option<u16>,
    /// Why the attempt failed; `None` on success.
    pub error: Option<String>,
    pub duration: Duration,
    /// The receiver's `Retry-After` on a 429 or 503.
    pub retry_after: Option<Duration>,
}

impl AttemptOutcome {
    pub fn succeeded(&self) -> bool {
        self.error.is_none()
    }

    /// An attempt that failed before anything was sent, such as one with a bad secret.
    pub fn unsent(error: String) -> Self {
        failure(None, error, Duration::ZERO)
    }
}

#[derive(Debug, thiserror::Error)]
#[error("cannot build the webhook HTTP client: {0}")]
pub struct ClientBuildError(#[from] reqwest::Error);

/// Sends signed webhook requests.
#[derive(Clone)]
pub struct WebhookClient {
    http: reqwest::Client,
    timeout: Duration,
    allow_private: bool,
}

impl WebhookClient {
    pub fn new(timeout: Duration, allow_private: bool) -> Result<Self, ClientBuildError> {
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .timeout(timeout);
        if !allow_private {
            builder = builder.dns_resolver(Arc::new(PublicOnlyResolver::new()));
        }
        Ok(WebhookClient {
            http: builder.build()?,
            timeout,
            allow_private,
        })
    }

    /// POSTs `body` with `headers` to `url`, following redirects. Success is a 2xx within
    /// the timeout, which covers every hop together.
    pub async fn post(&self, url: &str, headers: HeaderMap, body: Vec<u8>) -> AttemptOutcome {
        self.post_within(url, headers, body, None).await
    }

    /// [`WebhookClient::post`] with a timeout of its own instead of the client's, when
    /// `timeout` is given (a profile's default).
    pub async fn post_within(
        &self,
        url: &str,
        headers: HeaderMap,
        body: Vec<u8>,
        timeout: Option<Duration>,
    ) -> AttemptOutcome {
        let started = Instant::now();
        let limit = timeout.unwrap_or(self.timeout);
        let result = tokio::time::timeout(limit, self.follow(url, headers, body, timeout)).await;
        let duration = started.elapsed();
        match result {
            Ok(Ok(mut outcome)) => {
                outcome.duration = duration;
                outcome
            }
            Ok(Err(error)) => failure(None, error, duration),
            Err(_) => failure(None, "timeout".to_string(), duration),
        }
    }

    async fn follow(
        &self,
        url: &str,
        headers: HeaderMap,
        body: Vec<u8>,
        timeout: Option<Duration>,
    ) -> Result<AttemptOutcome, String> {
        let mut target = Url::parse(url).map_err(|e| format!("invalid_url: {e}"))?;
        // `Bytes` makes each hop's copy of the body a reference count, not a copy.
        let body = Bytes::from(body);
        for _hop in 0..=MAX_REDIRECTS {
            check_ip_literal(&target, self.allow_private).map_err(|e| e.to_string())?;
            let mut request = self
                .http
                .post(target.clone())
                .headers(headers.clone())
                .body(body.clone());
            // The client's own timeout would otherwise cut a longer one short.
            if let Some(timeout) = timeout {
                request = request.timeout(timeout);
            }
            let response = request.send().await.map_err(describe_error)?;
            let status = response.status();
            if status.is_success() {
                return Ok(AttemptOutcome {
                    status: Some(status.as_u16()),
                    error: None,
                    duration: Duration::ZERO,
                    retry_after: None,
                });
            }
            if status.is_redirection() {
                if let Some(next) = redirect_target(&target, response.headers()) {
                    target = next;
                    continue;
                }
            }
            let retry_after = match status {
                StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => response
                    .headers()
                    .get(RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(parse_retry_after),
                _ => None,
            };
            return Ok(AttemptOutcome {
                status: Some(status.as_u16()),
                error: Some(format!("http_{}", status.as_u16())),
                duration: Duration::ZERO,
                retry_after,
            });
        }
        Err("too_many_redirects".to_string())
    }
}

fn redirect_target(current: &Url, headers: &HeaderMap) -> Option<Url> {
    let location = headers.get(LOCATION)?.to_str().ok()?;
    current.join(location).ok()
}

fn failure(status: Option<u16>, error: String, duration: Duration) -> AttemptOutcome {
    AttemptOutcome {
        status,
        error: Some(error),
        duration,
        retry_after: None,
    }
}

/// A short, stable description of a transport error, with its root cause: what a user
/// reading the failed-deliveries listing needs to fix their endpoint.
fn describe_error(error: reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timeout"
    } else if error.is_connect() {
        "connection_error"
    } else {
        "request_error"
    };
    let mut root: &dyn std::error::Error = &error;
    while let Some(source) = root.source() {
        root = source;
    }
    format!("{kind}: {root}")
}
