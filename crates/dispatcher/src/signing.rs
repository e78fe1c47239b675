//! Standard Webhooks signatures (<https://www.standardwebhooks.com/>, "Signature scheme").
//!
//! A receiver verifies a delivery by computing `HMAC-SHA256(key, "{id}.{timestamp}.{body}")`
//! itself and comparing it with the `v1,` entry of `webhook-signature`. The key is the
//! base64-decoded part of the secret after `whsec_`. Because the signature covers the exact
//! body bytes, the dispatcher signs the very buffer it sends and never re-serialises it.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The prefix Standard Webhooks libraries put in front of the base64 key.
const SECRET_PREFIX: &str = "whsec_";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SigningError {
    #[error("webhook secret is not base64 after `whsec_`")]
    NotBase64,
    #[error("webhook secret is empty")]
    Empty,
}

/// A job's signing key, decoded once.
#[derive(Clone)]
pub struct WebhookSecret {
    key: Vec<u8>,
}

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key is a credential; never print it.
        f.write_str("WebhookSecret(..)")
    }
}

impl WebhookSecret {
    /// Reads `whsec_<base64>`. A secret without the prefix is taken as plain base64, which is
    /// what the specification's reference libraries accept too.
    pub fn parse(secret: &str) -> Result<Self, SigningError> {
        let encoded = secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret);
        let key = STANDARD
            .decode(encoded)
            .map_err(|_| SigningError::NotBase64)?;
        if key.is_empty() {
            return Err(SigningError::Empty);
        }
        Ok(WebhookSecret { key })
    }

    /// The value of the `webhook-signature` header for one attempt.
    pub fn sign(&self, message_id: &str, timestamp: u64, body: &[u8]) -> String {
        let mac = self.mac(message_id, &timestamp.to_string(), body);
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }

    /// Whether any `v1,` entry of a `webhook-signature` header value (a sender rotating
    /// secrets sends several, space-separated) signs this delivery. `timestamp` is the
    /// `webhook-timestamp` header exactly as received, since that text is what was signed.
    pub fn verify(&self, message_id: &str, timestamp: &str, body: &[u8], signatures: &str) -> bool {
        let mac = self.mac(message_id, timestamp, body);
        signatures
            .split_whitespace()
            .filter_map(|entry| entry.strip_prefix("v1,"))
            .filter_map(|encoded| STANDARD.decode(encoded).ok())
            // `verify_slice` compares in constant time, so a forger learns nothing from timing.
            .any(|candidate| mac.clone().verify_slice(&candidate).is_ok())
    }

    /// HMAC-SHA256 over `{id}.{timestamp}.{body}`.
    fn mac(&self, message_id: &str, timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
        // HMAC accepts keys of any length, so this constructor cannot fail.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.key) else {
            unreachable!("HMAC-SHA256 takes keys of any length")
        };
        mac.update(message_id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_specification_example() {
        // The example from the Standard Webhooks specification's reference test suite.
        let secret = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = br#"{"test": 2432232314}"#;
        let signature = secret.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body);
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn verifies_its_own_signatures_and_nothing_else() {
        let secret = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let signature = secret.sign("msg_1", 1614265330, b"{}");
        assert!(secret.verify("msg_1", "1614265330", b"{}", &signature));
        assert!(!secret.verify("msg_2", "1614265330", b"{}", &signature));
        assert!(!secret.verify("msg_1", "1614265331", b"{}", &signature));
        assert!(!secret.verify("msg_1", "1614265330", b"{ }", &signature));
    }

    #[test]
    fn rejects_bad_secrets() {
        assert_eq!(
            WebhookSecret::parse("whsec_not base64!").unwrap_err(),
            SigningError::NotBase64
        );
        assert_eq!(
            WebhookSecret::parse("whsec_").unwrap_err(),
            SigningError::Empty
        );
    }
}
