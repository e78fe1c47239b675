//! The headers of a webhook request.
//!
//! An endpoint's custom headers are added first, then its profile's default headers where
//! the endpoint set none of that name. The ones the dispatcher sets come last and win (the
//! signing scheme's, the job id, and the body encoding's), so an endpoint can never
//! replace the signature, its timestamp, the event id, the content type or the job id
//! that receivers rely on.
//!
//! Only the dispatcher's own headers that carry no credential follow a redirect to another
//! origin ([`crosses_origins`]): an endpoint's custom headers are often an `Authorization`
//! meant for its host alone, and a profile's endpoint headers may hold the secret itself
//! (`scrapfly`'s `X-Scrapfly-Webhook-Secret`). The Standard Webhooks signature does travel:
//! it is an HMAC of the very body the new origin receives and reveals nothing of the secret,
//! so a receiver that moved hosts can still verify what it gets.

use std::collections::BTreeMap;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, USER_AGENT};

use crate::encoding::Encoded;
use crate::pipeline::sign::SigningScheme;
use crate::profiles::DeliveryProfile;

/// Sent with every webhook, naming the product and its version.
pub const WEBHOOK_USER_AGENT: &str = concat!(
    "crawler-webhooks/",
    env!("CARGO_PKG_VERSION"),
    " (+https://github.com/crawler-rs/crawler)"
);

/// The header naming the job, on every request whatever the profile.
const JOB_ID: &str = "x-crawler-job-id";

/// Custom headers that are ignored: the ones the dispatcher or the signing scheme owns,
/// and the ones that describe the connection or the body framing, which only the HTTP
/// client and the body encoding may set.
fn is_reserved(name: &HeaderName, signing: SigningScheme) -> bool {
    let name = name.as_str();
    signing.reserves(name)
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

/// Whether a header is sent on a redirect hop to an origin other than the endpoint's.
/// An allowlist, so that a header a new profile adds stays with its endpoint by default.
pub fn crosses_origins(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "content-type"
            | "content-encoding"
            | "user-agent"
            | "x-crawler-job-id"
            | "webhook-id"
            | "webhook-timestamp"
            | "webhook-signature"
    )
}

/// What the dispatcher adds to one attempt's request.
pub struct Ours<'a> {
    /// The signing scheme's headers, from the sign step.
    pub signature: Vec<(HeaderName, HeaderValue)>,
    /// What the profile says about the endpoint (names from its table, lower case).
    pub endpoint: Vec<(&'static str, String)>,
    /// The job the event is about; `None` for a test event.
    pub job_id: Option<&'a str>,
    pub body: &'a Encoded,
}

/// Builds the request headers. Custom headers that are not valid HTTP are skipped (the
/// coordinator validates them at submission, so this only guards old records).
pub fn webhook_headers(
    custom: &BTreeMap<String, String>,
    profile: &DeliveryProfile,
    ours: Ours<'_>,
) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in custom {
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) else {
            tracing::warn!(header = %name, "skipping a custom webhook header that is not valid HTTP");
            continue;
        };
        if !is_reserved(&name, profile.signing) {
            headers.append(name, value);
        }
    }
    for (name, value) in profile.headers {
        // The table is checked by a test, so a bad entry here is only skipped, never fatal.
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) else {
            continue;
        };
        if !headers.contains_key(&name) {
            headers.insert(name, value);
        }
    }
    for (name, value) in ours.endpoint {
        // A name or tenant that is not a valid header value (never, once validated) is
        // left out rather than failing the delivery.
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            headers.insert(name, value);
        }
    }
    for (name, value) in ours.signature {
        headers.insert(name, value);
    }
    if let Some(Ok(value)) = ours.job_id.map(HeaderValue::from_str) {
        headers.insert(HeaderName::from_static(JOB_ID), value);
    }
    for (name, value) in ours.body.headers() {
        headers.insert(name, value);
    }
    if !headers.contains_key(USER_AGENT) {
        headers.insert(USER_AGENT, HeaderValue::from_static(WEBHOOK_USER_AGENT));
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::{Body, Compression, Encoding};
    use crate::profiles;

    fn json_body() -> Encoded {
        Encoded {
            bytes: Vec::new(),
            encoding: Encoding::Json,
            compression: Compression::None,
        }
    }

    #[test]
    fn profile_defaults_yield_to_custom_headers() {
        let profile = DeliveryProfile {
            name: "test",
            events: &[],
            shape: |event| Body::Event(Box::new(event)),
            encoding: Encoding::Json,
            compression: Compression::None,
            signing: SigningScheme::StandardWebhooks,
            headers: &[("x-kind", "default"), ("x-extra", "1")],
            retry_schedule: None,
            timeout: None,
            endpoint_context: None,
        };
        let custom: BTreeMap<String, String> = [("X-Kind".to_string(), "mine".to_string())].into();
        let body = json_body();
        let ours = Ours {
            signature: Vec::new(),
            endpoint: Vec::new(),
            job_id: Some("job"),
            body: &body,
        };
        let headers = webhook_headers(&custom, &profile, ours);
        assert_eq!(headers.get_all("x-kind").iter().count(), 1);
        assert_eq!(headers["x-kind"], "mine");
        assert_eq!(headers["x-extra"], "1");
    }

    #[test]
    fn custom_headers_cannot_replace_ours() {
        let custom: BTreeMap<String, String> = [
            ("Authorization", "Bearer t"),
            ("Content-Type", "text/plain"),
            ("Webhook-Signature", "v1,forged"),
            ("webhook-id", "other"),
            ("X-Crawler-Job-Id", "other"),
            ("X-Endpoint-Says", "custom"),
            ("bad header", "x"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let body = json_body();
        let signature = [
            ("webhook-id", "msg_1"),
            ("webhook-timestamp", "5"),
            ("webhook-signature", "v1,abc"),
        ]
        .into_iter()
        .map(|(n, v)| (HeaderName::from_static(n), HeaderValue::from_static(v)))
        .collect();
        let ours = Ours {
            signature,
            endpoint: vec![("x-endpoint-says", "ours".to_string())],
            job_id: Some("job"),
            body: &body,
        };
        let headers = webhook_headers(&custom, profiles::standard(), ours);
        assert_eq!(headers["authorization"], "Bearer t");
        assert_eq!(headers["content-type"], "application/json");
        assert_eq!(headers.get_all("webhook-signature").iter().count(), 1);
        assert_eq!(headers["webhook-signature"], "v1,abc");
        assert_eq!(headers["webhook-id"], "msg_1");
        assert_eq!(headers["webhook-timestamp"], "5");
        assert_eq!(headers["x-crawler-job-id"], "job");
        assert_eq!(headers["x-endpoint-says"], "ours");
        assert!(headers["user-agent"]
            .to_str()
            .unwrap()
            .starts_with("crawler-webhooks/"));
    }
}
