//! The headers of a webhook request.
//!
//! A job's custom headers (`callback.headers`) are added first; the ones the dispatcher
//! sets come last and win, so a job can never replace the signature, its timestamp, the
//! event id, the content type or the job id that receivers rely on.

use std::collections::BTreeMap;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE, USER_AGENT};

/// Sent with every webhook, naming the product and its version.
pub const WEBHOOK_USER_AGENT: &str = concat!(
    "crawler-webhooks/",
    env!("CARGO_PKG_VERSION"),
    " (+https://github.com/crawler-rs/crawler)"
);

/// Custom headers that are ignored: the ones the dispatcher owns, and the ones that
/// describe the connection or the body framing, which only the HTTP client may set.
fn is_reserved(name: &HeaderName) -> bool {
    let name = name.as_str();
    name.starts_with("webhook-")
        || matches!(
            name,
            "content-type"
                | "content-length"
                | "content-encoding"
                | "transfer-encoding"
                | "connection"
                | "host"
                | "x-crawler-job-id"
        )
}

/// What identifies and authenticates one attempt.
pub struct Signed<'a> {
    pub event_id: &'a str,
    pub job_id: &'a str,
    pub timestamp: u64,
    pub signature: &'a str,
}

/// Builds the request headers. Custom headers that are not valid HTTP are skipped (the
/// coordinator validates them at submission, so this only guards old records).
pub fn webhook_headers(custom: &BTreeMap<String, String>, signed: &Signed<'_>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in custom {
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) else {
            tracing::warn!(header = %name, "skipping a custom webhook header that is not valid HTTP");
            continue;
        };
        if !is_reserved(&name) {
            headers.append(name, value);
        }
    }
    let ours = [
        ("webhook-id", signed.event_id.to_string()),
        ("webhook-timestamp", signed.timestamp.to_string()),
        ("webhook-signature", signed.signature.to_string()),
        ("x-crawler-job-id", signed.job_id.to_string()),
    ];
    for (name, value) in ours {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    }
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if !headers.contains_key(USER_AGENT) {
        headers.insert(USER_AGENT, HeaderValue::from_static(WEBHOOK_USER_AGENT));
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_headers_cannot_replace_ours() {
        let custom: BTreeMap<String, String> = [
            ("Authorization", "Bearer t"),
            ("Content-Type", "text/plain"),
            ("Webhook-Signature", "v1,forged"),
            ("webhook-id", "other"),
            ("X-Crawler-Job-Id", "other"),
            ("bad header", "x"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let signed = Signed {
            event_id: "msg_1",
            job_id: "job",
            timestamp: 5,
            signature: "v1,abc",
        };
        let headers = webhook_headers(&custom, &signed);
        assert_eq!(headers["authorization"], "Bearer t");
        assert_eq!(headers["content-type"], "application/json");
        assert_eq!(headers.get_all("webhook-signature").iter().count(), 1);
        assert_eq!(headers["webhook-signature"], "v1,abc");
        assert_eq!(headers["webhook-id"], "msg_1");
        assert_eq!(headers["webhook-timestamp"], "5");
        assert_eq!(headers["x-crawler-job-id"], "job");
        assert!(headers["user-agent"]
            .to_str()
            .unwrap()
            .starts_with("crawler-webhooks/"));
    }
}
