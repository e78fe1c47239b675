//! What a request must look like before any handler sees it.
//!
//! - A body sent to the API is JSON, said so by `Content-Type`: a browser sends a
//!   cross-site form (`application/x-www-form-urlencoded`, `multipart/form-data`,
//!   `text/plain`) without asking the server first, but never a JSON one, so no web page
//!   can post to the API behind its user's back.
//! - Served without keys (`crawler serve` on loopback, where being on the machine is the
//!   only credential), a request must name a loopback host and come from no other site's
//!   page: a DNS-rebinding page reaches 127.0.0.1 under its own host name, and a page's
//!   requests carry its `Origin` and `Sec-Fetch-Site`.

use axum::extract::Request;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// Answers 415 to a request with a body that is not declared as JSON.
pub async fn require_json(request: Request, next: Next) -> Response {
    let sends_body = matches!(
        *request.method(),
        Method::POST | Method::PUT | Method::PATCH
    ) && has_body(request.headers());
    if sends_body && !is_json(request.headers()) {
        return ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Some("content-type"),
            "send the body as JSON, with Content-Type: application/json",
        )
        .into_response();
    }
    next.run(request).await
}

/// Answers 403 to a request that does not come from this machine's own programs: a host
/// other than a loopback name, or a page of another site.
pub async fn local_callers_only(request: Request, next: Next) -> Response {
    if let Some(refusal) = foreign_caller(request.headers()) {
        return refusal.into_response();
    }
    next.run(request).await
}

fn foreign_caller(headers: &HeaderMap) -> Option<ApiError> {
    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    let host = text(header::HOST).unwrap_or("");
    if !is_loopback_host(host_of_authority(host)) {
        return Some(ApiError::forbidden(
            "host",
            format!(
                "this API serves without keys, so it answers only requests for a loopback \
                 host (localhost, 127.0.0.1, [::1]), not `{host}`"
            ),
        ));
    }
    if let Some(origin) = text(header::ORIGIN) {
        let origin_host = origin
            .split_once("://")
            .map(|(_, rest)| host_of_authority(rest))
            .unwrap_or("");
        if !is_loopback_host(origin_host) {
            return Some(ApiError::forbidden(
                "origin",
                format!("a page of `{origin}` may not use this API"),
            ));
        }
    }
    if text(header::HeaderName::from_static("sec-fetch-site")) == Some("cross-site") {
        return Some(ApiError::forbidden(
            "origin",
            "a page of another site may not use this API",
        ));
    }
    None
}

fn has_body(headers: &HeaderMap) -> bool {
    let length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    length.is_some_and(|n| n > 0) || headers.contains_key(header::TRANSFER_ENCODING)
}

/// `application/json`, or a `+json` type, whatever its parameters (`; charset=utf-8`).
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// The host of `host[:port]`, `[v6]:port` or `authority/path`, without brackets.
fn host_of_authority(authority: &str) -> &str {
    let authority = authority.split('/').next().unwrap_or("");
    if let Some(rest) = authority.strip_prefix('[') {
        return rest.split(']').next().unwrap_or("");
    }
    authority.split(':').next().unwrap_or("")
}

fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host == "localhost"
        || host.ends_with(".localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests;
