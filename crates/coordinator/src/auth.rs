//! Who is calling: API keys, their plans, and the owner a job is filed under.
//!
//! A key travels in the `x-api-key` header, the `api_key` query parameter, or the
//! `api_key`/`apiKey` body field (the last for clients written for ScraperAPI). Jobs are
//! filed under a SHA-256 digest of the key, so the job store never holds a usable key.
//! Webhook endpoints belong to the key's tenant (its project and environment), which
//! every key of that project and environment shares.

use std::collections::HashMap;

use axum::http::HeaderMap;
use crawler_config::{ApiKeys, Plan};
use crawler_core::Tenant;
use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// How requests are authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthMode {
    /// A request must carry one of the configured API keys.
    Keys,
    /// Every request is accepted as `owner` on the paid plan, in the default tenant. For
    /// `crawler serve` on loopback with no keys configured, where the only caller is the
    /// machine's user.
    Open { owner: String },
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// What the caller's jobs are filed under.
    pub owner: String,
    pub plan: Plan,
    /// Whose webhook endpoints the caller manages and its jobs may name.
    pub tenant: Tenant,
}

/// The owner a key's jobs are filed under: the hex SHA-256 of the key.
pub fn owner_of(key: &str) -> String {
    Sha256::digest(key.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The key carried by the header or the query string, the header first.
pub fn key_from_parts<'r>(
    headers: &'r HeaderMap,
    query: &'r HashMap<String, String>,
) -> Option<&'r str> {
    headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .or_else(|| query.get("api_key").map(String::as_str))
        .filter(|k| !k.is_empty())
}

/// Decides who presented `key`.
pub fn authenticate(
    mode: &AuthMode,
    keys: &ApiKeys,
    key: Option<&str>,
) -> Result<Caller, ApiError> {
    if let AuthMode::Open { owner } = mode {
        return Ok(Caller {
            owner: owner.clone(),
            plan: Plan::Paid,
            tenant: Tenant::default(),
        });
    }
    let key = key.ok_or_else(|| {
        ApiError::unauthorized(
            "an API key is required: send it in the x-api-key header, \
             the api_key query parameter or the api_key body field",
        )
    })?;
    let known = keys
        .lookup(key)
        .ok_or_else(|| ApiError::unauthorized("unknown API key"))?;
    Ok(Caller {
        owner: owner_of(key),
        plan: known.plan,
        tenant: known.tenant.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;

    fn keys() -> ApiKeys {
        ApiKeys::parse("paid-key,free-key:free,shop-key:paid:shop:test").unwrap()
    }

    #[test]
    fn known_keys_authenticate_with_their_plan_and_a_digest_owner() {
        let caller = authenticate(&AuthMode::Keys, &keys(), Some("free-key")).unwrap();
        assert_eq!(caller.plan, Plan::Free);
        assert_eq!(caller.owner.len(), 64);
        assert!(!caller.owner.contains("free-key"));
        let paid = authenticate(&AuthMode::Keys, &keys(), Some("paid-key")).unwrap();
        assert_eq!(paid.plan, Plan::Paid);
        assert_ne!(paid.owner, caller.owner);
    }

    #[test]
    fn missing_and_unknown_keys_are_401() {
        for key in [None, Some("nope")] {
            let error = authenticate(&AuthMode::Keys, &keys(), key).unwrap_err();
            assert_eq!(error.status, StatusCode::UNAUTHORIZED);
        }
    }

    #[test]
    fn open_mode_accepts_anyone_as_the_configured_owner() {
        let mode = AuthMode::Open {
            owner: "local".into(),
        };
        let caller = authenticate(&mode, &ApiKeys::default(), None).unwrap();
        assert_eq!(
            caller,
            Caller {
                owner: "local".into(),
                plan: Plan::Paid,
                tenant: Tenant::default(),
            }
        );
    }

    #[test]
    fn a_key_brings_its_tenant_and_keys_without_one_get_the_default() {
        let shop = authenticate(&AuthMode::Keys, &keys(), Some("shop-key")).unwrap();
        assert_eq!(shop.tenant, Tenant::new("shop", "test"));
        let plain = authenticate(&AuthMode::Keys, &keys(), Some("paid-key")).unwrap();
        assert!(plain.tenant.is_default());
    }

    #[test]
    fn header_wins_over_query() {
        let mut headers = HeaderMap::new();
        let mut query = HashMap::new();
        query.insert("api_key".to_string(), "from-query".to_string());
        assert_eq!(key_from_parts(&headers, &query), Some("from-query"));
        headers.insert("x-api-key", "from-header".parse().unwrap());
        assert_eq!(key_from_parts(&headers, &query), Some("from-header"));
    }

    #[test]
    fn owner_is_the_sha256_of_the_key() {
        assert_eq!(
            owner_of("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
