//! The responses of the page kinds that imitate the real web's awkward corners: any
//! status, headers and bytes; a host that throttles; bodies streamed or trickled a
//! byte at a time; endless link traps.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// The size of each chunk of a streamed body.
const STREAM_CHUNK: usize = 16 * 1024;

/// A response with exactly this status, these headers and these bytes.
pub(super) fn custom(status: u16, headers: &[(String, String)], body: &[u8]) -> Response {
    let mut response = Response::new(Body::from(body.to_vec()));
    *response.status_mut() = StatusCode::from_u16(status).expect("a valid status code");
    for (name, value) in headers {
        response.headers_mut().append(
            HeaderName::from_bytes(name.as_bytes()).expect("a valid header name"),
            HeaderValue::from_bytes(value.as_bytes()).expect("a valid header value"),
        );
    }
    response
}

/// `status` with an optional `Retry-After`.
pub(super) fn throttled(status: u16, retry_after: Option<&str>) -> Response {
    let mut response = custom(status, &[], b"slow down");
    if let Some(retry_after) = retry_after {
        response.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from_str(retry_after).expect("a valid Retry-After"),
        );
    }
    response
}

/// An HTML page of `bytes` bytes sent in chunks without a Content-Length, so the client
/// cannot tell its size before reading it. `sent` counts the bytes handed to the server
/// to write: a client that stops reading stops the stream, and the count shows where.
pub(super) fn streamed(bytes: usize, sent: Arc<AtomicUsize>) -> Response {
    let chunks = futures::stream::unfold(0usize, move |written| {
        let sent = sent.clone();
        async move {
            if written >= bytes {
                return None;
            }
            let len = STREAM_CHUNK.min(bytes - written);
            let chunk = if written == 0 {
                let mut head = b"<html><body>".to_vec();
                head.resize(len, b'x');
                head
            } else {
                vec![b'x'; len]
            };
            sent.fetch_add(len, Ordering::SeqCst);
            Some((Ok::<_, std::io::Error>(Bytes::from(chunk)), written + len))
        }
    });
    (
        [(header::CONTENT_TYPE, "text/html")],
        Body::from_stream(chunks),
    )
        .into_response()
}

/// 200 and HTML headers at once, then one byte of body every `interval`, `bytes` in all.
pub(super) fn trickle(interval: Duration, bytes: usize) -> Response {
    let drip = futures::stream::unfold(0usize, move |written| async move {
        if written >= bytes {
            return None;
        }
        if written > 0 {
            tokio::time::sleep(interval).await;
        }
        Some((
            Ok::<_, std::io::Error>(Bytes::from_static(b" ")),
            written + 1,
        ))
    });
    (
        [(header::CONTENT_TYPE, "text/html")],
        Body::from_stream(drip),
    )
        .into_response()
}

/// The link of a calendar page `<prefix>YYYY-MM` to the next month; a path that is not a
/// month starts the calendar at 2000-01.
pub(super) fn next_month(prefix: &str, path: &str) -> String {
    let month = path.strip_prefix(prefix).and_then(|rest| {
        let (year, month) = rest.split_once('-')?;
        Some((year.parse::<u32>().ok()?, month.parse::<u32>().ok()?))
    });
    let (year, month) = match month {
        Some((year, 12)) => (year + 1, 1),
        Some((year, month)) => (year, month + 1),
        None => (2000, 1),
    };
    format!("{prefix}{year:04}-{month:02}")
}

/// The link of a growing-trap page: its own path, one segment longer.
pub(super) fn grown(path: &str) -> String {
    format!("{}/more", path.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::{grown, next_month};
    use crate::site::{PageKind, SiteGraph};

    #[test]
    fn calendar_pages_link_to_the_next_month() {
        assert_eq!(next_month("/cal/", "/cal/2024-11"), "/cal/2024-12");
        assert_eq!(next_month("/cal/", "/cal/2024-12"), "/cal/2025-01");
        assert_eq!(next_month("/cal/", "/cal/index"), "/cal/2000-01");
        assert_eq!(grown("/grow"), "/grow/more");
        assert_eq!(grown("/grow/more/"), "/grow/more/more");
    }

    #[test]
    fn exact_paths_win_over_the_longest_matching_wildcard() {
        let graph = SiteGraph::default()
            .page("/*", PageKind::NotFound)
            .page("/cal/*", PageKind::Calendar)
            .page("/cal/index", PageKind::Binary);
        let key = |path: &str| graph.lookup(path).map(|(key, _)| key.to_string());
        assert_eq!(key("/cal/index").as_deref(), Some("/cal/index"));
        assert_eq!(key("/cal/2024-01").as_deref(), Some("/cal/*"));
        assert_eq!(key("/other").as_deref(), Some("/*"));
        assert!(SiteGraph::default().lookup("/").is_none());
    }
}
