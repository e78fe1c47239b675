//! The response of a fetch, whatever its status.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use reqwest::header::HeaderMap;
use url::Url;

/// One HTTP response. A 404 or a 503 is a page like any other; the caller decides what
/// a status means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedPage {
    /// The URL the response came from, after the redirects that were followed.
    pub final_url: Url,
    /// The URLs redirected to, in order; empty when there was no redirect.
    pub redirects: Vec<Url>,
    pub status: u16,
    /// Header names in lower case; a repeated header's values joined with ", ".
    pub headers: BTreeMap<String, String>,
    /// The body, already decompressed (gzip, brotli, deflate).
    pub body: Bytes,
    pub content_type: Option<String>,
}

impl FetchedPage {
    /// True for HTML: by Content-Type, or when there is none, by a leading
    /// `<!doctype html` or `<html`.
    pub fn is_html(&self) -> bool {
        match self.content_type.as_deref() {
            Some(ct) => {
                let mime = ct
                    .split(';')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_ascii_lowercase();
                mime == "text/html" || mime == "application/xhtml+xml"
            }
            None => looks_like_html(&self.body),
        }
    }

    /// True when the body should be reported as text rather than base64.
    pub fn is_text(&self) -> bool {
        self.is_html() || crate::decode::is_text(self.content_type.as_deref())
    }

    /// The wait a 429 or 503 asks for in `Retry-After`, as seconds or as an HTTP date.
    /// A date in the past means no wait.
    pub fn retry_after(&self) -> Option<Duration> {
        parse_retry_after(self.headers.get("retry-after")?, SystemTime::now())
    }
}

pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Flattens a header map: lower-case names (the `http` crate stores them so already),
/// repeated values joined with ", ", bytes that are not UTF-8 replaced.
pub(crate) fn flatten_headers(headers: &HeaderMap) -> BTreeMap<String, String> {
    let mut flat: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in headers {
        let value = String::from_utf8_lossy(value.as_bytes());
        flat.entry(name.as_str().to_ascii_lowercase())
            .and_modify(|joined| {
                joined.push_str(", ");
                joined.push_str(&value);
            })
            .or_insert_with(|| value.into_owned());
    }
    flat
}

fn looks_like_html(body: &[u8]) -> bool {
    // A UTF-8 byte order mark and white space may come first.
    let body = body
        .strip_prefix(b"\xEF\xBB\xBF".as_slice())
        .unwrap_or(body);
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(body.len());
    let head = &body[start..];
    let starts_with = |prefix: &[u8]| {
        head.len() >= prefix.len() && head[..prefix.len()].eq_ignore_ascii_case(prefix)
    };
    starts_with(b"<!doctype html") || starts_with(b"<html")
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn page(content_type: Option<&str>, body: &'static [u8]) -> FetchedPage {
        FetchedPage {
            final_url: Url::parse("http://a.example/").unwrap(),
            redirects: Vec::new(),
            status: 200,
            headers: BTreeMap::new(),
            body: Bytes::from_static(body),
            content_type: content_type.map(str::to_string),
        }
    }

    #[test]
    fn html_by_content_type_or_sniffed() {
        assert!(page(Some("text/html; charset=utf-8"), b"").is_html());
        assert!(page(Some("Application/XHTML+XML"), b"").is_html());
        assert!(!page(Some("application/json"), b"<html>").is_html());
        assert!(page(None, b"  \n<!DOCTYPE html><p>").is_html());
        assert!(page(None, b"<HTML lang=en>").is_html());
        assert!(page(None, b"\xEF\xBB\xBF<html>").is_html());
        assert!(!page(None, b"{\"a\": 1}").is_html());
        assert!(!page(None, b"").is_html());
    }

    #[test]
    fn retry_after_as_seconds_or_date() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:29:30 GMT", now),
            Some(Duration::from_secs(90))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn repeated_headers_are_joined() {
        let mut map = HeaderMap::new();
        map.append("Set-Cookie", HeaderValue::from_static("a=1"));
        map.append("set-cookie", HeaderValue::from_static("b=2"));
        map.append("X-Bin", HeaderValue::from_bytes(b"caf\xe9").unwrap());
        let flat = flatten_headers(&map);
        assert_eq!(flat["set-cookie"], "a=1, b=2");
        assert_eq!(flat["x-bin"], "caf\u{FFFD}");
    }
}
