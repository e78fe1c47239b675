//! The HTTP side of one delivery attempt.
//!
//! Redirects are followed by hand rather than by reqwest's policy so that each hop is
//! checked against the private-network rule before it is requested: the IP-literal check
//! here, and [`PublicOnlyResolver`] at connect time for names (which also defeats DNS
//! rebinding). Every hop re-sends the same signed body with a POST: a webhook without its
//! body is useless, and the signature stays valid because it does not cover the URL. A hop
//! to another origin (scheme, host and port) than the endpoint's gets only the headers
//! that [`crosses_origins`]: an endpoint's custom headers and credentials stay with it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use crawler_netguard::{check_ip_literal, PublicOnlyResolver};
use reqwest::header::{HeaderMap, LOCATION, RETRY_AFTER};
use reqwest::StatusCode;
use url::Url;

use crate::headers::crosses_origins;
use crate::schedule::parse_retry_after;

/// Redirect hops followed before an attempt fails.
pub const MAX_REDIRECTS: usize = 5;

/// How much of a receiver's answer is kept in the delivery log: enough for an error
/// message, never a whole page a misconfigured receiver echoes back.
pub const ANSWER_EXCERPT_BYTES: usize = 1024;

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
    /// The first [`ANSWER_EXCERPT_BYTES`] of the answer's body, as text.
    pub answer_excerpt: Option<String>,
    /// The connection was refused or reset: the receiver is restarting or overwhelmed
    /// rather than answering, which is worth a quick retry.
    pub connection_failed: bool,
}

impl AttemptOutcome {
    pub fn succeeded(&self) -> bool {
        self.error.is_none()
    }

    /// An attempt that failed before anything was sent, such as one with a bad secret.
    pub fn unsent(error: String) -> Self {
        failure(error, Duration::ZERO)
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
        // No proxy from the environment (`HTTP_PROXY` and the like): webhooks carry secrets,
        // and through a proxy the resolver's private-network guard would not run.
        let mut builder = reqwest::Client::builder()
            .no_proxy()
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
            Ok(Err(TransportError {
                message,
                connection_failed,
            })) => AttemptOutcome {
                connection_failed,
                ..failure(message, duration)
            },
            Err(_) => failure("timeout".to_string(), duration),
        }
    }

    async fn follow(
        &self,
        url: &str,
        headers: HeaderMap,
        body: Vec<u8>,
        timeout: Option<Duration>,
    ) -> Result<AttemptOutcome, TransportError> {
        let mut target =
            Url::parse(url).map_err(|e| TransportError::plain(format!("invalid_url: {e}")))?;
        let endpoint_origin = target.origin();
        let elsewhere = cross_origin_headers(&headers);
        // `Bytes` makes each hop's copy of the body a reference count, not a copy.
        let body = Bytes::from(body);
        for _hop in 0..=MAX_REDIRECTS {
            check_ip_literal(&target, self.allow_private)
                .map_err(|e| TransportError::plain(e.to_string()))?;
            let hop_headers = if target.origin() == endpoint_origin {
                headers.clone()
            } else {
                elsewhere.clone()
            };
            let mut request = self
                .http
                .post(target.clone())
                .headers(hop_headers)
                .body(body.clone());
            // The client's own timeout would otherwise cut a longer one short.
            if let Some(timeout) = timeout {
                request = request.timeout(timeout);
            }
            let response = request.send().await.map_err(TransportError::from)?;
            let status = response.status();
            if status.is_redirection() {
                if let Some(next) = redirect_target(&target, response.headers()) {
                    target = next;
                    continue;
                }
            }
            return Ok(answered(response).await);
        }
        Err(TransportError::plain("too_many_redirects".to_string()))
    }
}

/// The outcome of a request the receiver answered (other than a redirect followed).
async fn answered(mut response: reqwest::Response) -> AttemptOutcome {
    let status = response.status();
    let retry_after = match status {
        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after),
        _ => None,
    };
    let error = (!status.is_success()).then(|| format!("http_{}", status.as_u16()));
    AttemptOutcome {
        status: Some(status.as_u16()),
        error,
        duration: Duration::ZERO,
        retry_after,
        answer_excerpt: excerpt(&mut response).await,
        connection_failed: false,
    }
}

/// The start of the answer's body. The rest is not read: the connection is then dropped
/// rather than reused, which costs less than downloading what nobody will look at.
async fn excerpt(response: &mut reqwest::Response) -> Option<String> {
    let mut kept = Vec::new();
    while kept.len() < ANSWER_EXCERPT_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => kept.extend_from_slice(&chunk),
            // A body cut short still tells what it began with.
            Ok(None) | Err(_) => break,
        }
    }
    if kept.is_empty() {
        return None;
    }
    kept.truncate(ANSWER_EXCERPT_BYTES);
    Some(String::from_utf8_lossy(&kept).into_owned())
}

/// The headers of a hop to another origin than the endpoint's.
fn cross_origin_headers(headers: &HeaderMap) -> HeaderMap {
    let mut kept = HeaderMap::new();
    for (name, value) in headers {
        if crosses_origins(name) {
            kept.append(name.clone(), value.clone());
        }
    }
    kept
}

fn redirect_target(current: &Url, headers: &HeaderMap) -> Option<Url> {
    let location = headers.get(LOCATION)?.to_str().ok()?;
    current.join(location).ok()
}

fn failure(error: String, duration: Duration) -> AttemptOutcome {
    AttemptOutcome {
        status: None,
        error: Some(error),
        duration,
        retry_after: None,
        answer_excerpt: None,
        connection_failed: false,
    }
}

/// Why a request got no answer.
struct TransportError {
    /// A short, stable description with the root cause: what a user reading the delivery
    /// log needs to fix their endpoint.
    message: String,
    connection_failed: bool,
}

impl TransportError {
    fn plain(message: String) -> Self {
        TransportError {
            message,
            connection_failed: false,
        }
    }
}

impl From<reqwest::Error> for TransportError {
    fn from(error: reqwest::Error) -> Self {
        let kind = if error.is_timeout() {
            "timeout"
        } else if error.is_connect() {
            "connection_error"
        } else {
            "request_error"
        };
        let mut connection_failed = false;
        let mut root: &(dyn std::error::Error + 'static) = &error;
        loop {
            connection_failed |= is_refused_or_reset(root);
            match root.source() {
                Some(source) => root = source,
                None => break,
            }
        }
        TransportError {
            message: format!("{kind}: {root}"),
            connection_failed,
        }
    }
}

/// Whether an error in a transport error's chain is a refused or reset connection: the
/// I/O kinds, or hyper's report of a connection closed before it answered (what a server
/// with a full accept queue, or one closing a kept-alive connection, leads to).
fn is_refused_or_reset(error: &(dyn std::error::Error + 'static)) -> bool {
    use std::io::ErrorKind;
    if let Some(io) = error.downcast_ref::<std::io::Error>() {
        return matches!(
            io.kind(),
            ErrorKind::ConnectionRefused
                | ErrorKind::ConnectionReset
                | ErrorKind::ConnectionAborted
                | ErrorKind::BrokenPipe
                | ErrorKind::UnexpectedEof
        );
    }
    error
        .to_string()
        .contains("connection closed before message completed")
}

#[cfg(test)]
mod tests;
