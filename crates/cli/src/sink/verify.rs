//! Verifying Standard Webhooks signatures (<https://www.standardwebhooks.com/>), as a
//! receiver must: `HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{body}")` compared in
//! constant time with each `v1,<base64>` entry of `webhook-signature` (a sender rotating
//! secrets sends several), and the timestamp within five minutes of now so that a captured
//! delivery cannot be replayed later. The HMAC is the dispatcher's own signing code, so the
//! sink and the sender cannot disagree about the scheme; the end-to-end tests check both
//! against an independent implementation.

use std::time::Duration;

use axum::http::HeaderMap;
use crawler_dispatcher::signing::WebhookSecret;

/// How far a delivery's timestamp may be from the receiver's clock, either way; the
/// tolerance the specification recommends.
pub const TIMESTAMP_TOLERANCE: Duration = Duration::from_secs(5 * 60);

/// The signing key of a `whsec_<base64>` secret (or bare base64, as the reference
/// libraries also accept), as the user typed it; `None` when it is not one.
pub fn parse_secret(secret: &str) -> Option<WebhookSecret> {
    WebhookSecret::parse(secret.trim()).ok()
}

/// The outcome of checking one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Valid,
    /// The sink has no secret, so nothing was checked.
    Unchecked,
    /// Why the delivery is not authentic.
    Invalid(String),
}

impl Verdict {
    /// `true`, `false`, or `None` when unchecked: the `signatureOk` of a stored delivery.
    pub fn signature_ok(&self) -> Option<bool> {
        match self {
            Verdict::Valid => Some(true),
            Verdict::Unchecked => None,
            Verdict::Invalid(_) => Some(false),
        }
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

/// Checks a delivery received at `now_secs` (Unix seconds).
pub fn verify(
    key: Option<&WebhookSecret>,
    headers: &HeaderMap,
    body: &[u8],
    now_secs: u64,
) -> Verdict {
    let Some(key) = key else {
        return Verdict::Unchecked;
    };
    let invalid = |reason: &str| Verdict::Invalid(reason.to_string());
    let Some(id) = header(headers, "webhook-id") else {
        return invalid("no webhook-id header");
    };
    let Some(timestamp) = header(headers, "webhook-timestamp") else {
        return invalid("no webhook-timestamp header");
    };
    let Some(signatures) = header(headers, "webhook-signature") else {
        return invalid("no webhook-signature header");
    };
    let Ok(sent_at) = timestamp.trim().parse::<u64>() else {
        return invalid("webhook-timestamp is not a Unix time in seconds");
    };
    let tolerance = TIMESTAMP_TOLERANCE.as_secs();
    if now_secs.saturating_sub(sent_at) > tolerance {
        return Verdict::Invalid(format!("timestamp is {}s old", now_secs - sent_at));
    }
    if sent_at.saturating_sub(now_secs) > tolerance {
        return Verdict::Invalid(format!(
            "timestamp is {}s in the future",
            sent_at - now_secs
        ));
    }
    if key.verify(id, timestamp, body, signatures) {
        Verdict::Valid
    } else {
        invalid("no signature matches")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example from the Standard Webhooks specification's reference test suite.
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const SENT_AT: u64 = 1614265330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    fn headers(signature: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("webhook-id", ID.parse().unwrap());
        headers.insert("webhook-timestamp", SENT_AT.to_string().parse().unwrap());
        headers.insert("webhook-signature", signature.parse().unwrap());
        headers
    }

    #[test]
    fn accepts_the_specification_example() {
        let key = parse_secret(SECRET).unwrap();
        assert_eq!(
            verify(Some(&key), &headers(SIGNATURE), BODY, SENT_AT + 10),
            Verdict::Valid
        );
    }

    #[test]
    fn any_one_of_several_signatures_may_match() {
        let key = parse_secret(SECRET).unwrap();
        let rotated = format!("v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= v2,xyz {SIGNATURE}");
        assert_eq!(
            verify(Some(&key), &headers(&rotated), BODY, SENT_AT),
            Verdict::Valid
        );
    }

    #[test]
    fn refuses_changes_and_replays() {
        let key = parse_secret(SECRET).unwrap();
        let tampered = verify(Some(&key), &headers(SIGNATURE), br#"{"test": 1}"#, SENT_AT);
        assert_eq!(tampered, Verdict::Invalid("no signature matches".into()));
        let late = verify(Some(&key), &headers(SIGNATURE), BODY, SENT_AT + 301);
        assert_eq!(late, Verdict::Invalid("timestamp is 301s old".into()));
        let early = verify(Some(&key), &headers(SIGNATURE), BODY, SENT_AT - 400);
        assert_eq!(
            early,
            Verdict::Invalid("timestamp is 400s in the future".into())
        );
        let unsigned = verify(Some(&key), &HeaderMap::new(), BODY, SENT_AT);
        assert_eq!(unsigned.signature_ok(), Some(false));
    }

    #[test]
    fn without_a_key_nothing_is_checked() {
        assert_eq!(verify(None, &HeaderMap::new(), BODY, 0), Verdict::Unchecked);
        assert_eq!(Verdict::Unchecked.signature_ok(), None);
    }

    #[test]
    fn secrets_must_be_base64() {
        assert!(parse_secret("whsec_not base64!").is_none());
        assert!(parse_secret("whsec_").is_none());
    }
}
