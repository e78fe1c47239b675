//! Step 4: the headers that let the receiver check a request came from us, unaltered.
//!
//! A scheme signs the exact bytes that are sent (after encoding and compression), so the
//! body is never serialised twice.

use reqwest::header::{HeaderName, HeaderValue};

use crate::signing::{SigningError, WebhookSecret};

/// How a profile's requests are authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigningScheme {
    /// Standard Webhooks: `webhook-id`, `webhook-timestamp` and `webhook-signature`
    /// (see [`crate::signing`]).
    StandardWebhooks,
}

impl SigningScheme {
    /// Whether a header name (lower case) is this scheme's to set, so that an endpoint's
    /// custom headers can never replace or forge it.
    pub fn reserves(self, name: &str) -> bool {
        match self {
            SigningScheme::StandardWebhooks => name.starts_with("webhook-"),
        }
    }
}

/// What one attempt signs.
pub struct Message<'a> {
    /// The event id, stable across retries, which receivers dedupe on.
    pub id: &'a str,
    /// Seconds since the Unix epoch at this attempt.
    pub timestamp: u64,
    pub body: &'a [u8],
}

/// The authentication headers for one attempt, in the order they are sent.
pub fn sign(
    scheme: SigningScheme,
    secret: &str,
    message: &Message<'_>,
) -> Result<Vec<(HeaderName, HeaderValue)>, SigningError> {
    match scheme {
        SigningScheme::StandardWebhooks => standard_webhooks(secret, message),
    }
}

fn standard_webhooks(
    secret: &str,
    message: &Message<'_>,
) -> Result<Vec<(HeaderName, HeaderValue)>, SigningError> {
    let secret = WebhookSecret::parse(secret)?;
    let signature = secret.sign(message.id, message.timestamp, message.body);
    let values = [
        ("webhook-id", message.id.to_string()),
        ("webhook-timestamp", message.timestamp.to_string()),
        ("webhook-signature", signature),
    ];
    // An id that is not a valid header value (only possible for a hand-made event) loses
    // its header rather than failing the delivery, as it always has.
    Ok(values
        .into_iter()
        .filter_map(|(name, value)| {
            let value = HeaderValue::from_str(&value).ok()?;
            Some((HeaderName::from_static(name), value))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    #[test]
    fn standard_webhooks_headers_carry_id_timestamp_and_signature() {
        let message = Message {
            id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
            timestamp: 1614265330,
            body: br#"{"test": 2432232314}"#,
        };
        let headers = sign(SigningScheme::StandardWebhooks, SECRET, &message).unwrap();
        let pairs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.to_str().unwrap()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"),
                ("webhook-timestamp", "1614265330"),
                (
                    "webhook-signature",
                    "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
                ),
            ]
        );
    }

    #[test]
    fn a_bad_secret_is_an_error_not_an_unsigned_request() {
        let message = Message {
            id: "msg_1",
            timestamp: 1,
            body: b"{}",
        };
        assert_eq!(
            sign(SigningScheme::StandardWebhooks, "whsec_", &message).unwrap_err(),
            SigningError::Empty
        );
    }

    #[test]
    fn standard_webhooks_reserves_its_header_family() {
        let scheme = SigningScheme::StandardWebhooks;
        assert!(scheme.reserves("webhook-signature"));
        assert!(scheme.reserves("webhook-anything"));
        assert!(!scheme.reserves("authorization"));
    }
}
