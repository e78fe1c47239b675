//! Who is calling: API keys, their plans, and the owner a job is filed under.
//!
//! A key travels in the `x-api-key` header, an `Authorization: Bearer` header, or the
//! `api_key`/`apiKey` body field (for clients written for ScraperAPI). The `api_key` query
//! parameter is accepted only on ScraperAPI's own paths (`/job`, `/jobs`, `/batchjobs`),
//! whose clients send it there; our `/v1` routes refuse it ([`refuse_query_keys`]), because
//! a URL ends up in proxies' and browsers' logs. Jobs are filed under a SHA-256 digest of
//! the key, so the job store never holds a usable key.
//! Webhook endpoints belong to the key's tenant (its project and environment), which
//! every key of that project and environment shares.

use std::collections::HashMap;

use axum::extract::Request;
use axum::http::{header, HeaderMap};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
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

/// The key carried by the headers or the query string: `x-api-key`, then
/// `Authorization: Bearer`, then `api_key` in the query.
pub fn key_from_parts<'r>(
    headers: &'r HeaderMap,
    query: &'r HashMap<String, String>,
) -> Option<&'r str> {
    let header = |name| {
        headers
            .get(name)
            .and_then(|v: &axum::http::HeaderValue| v.to_str().ok())
    };
    header("x-api-key")
        .or_else(|| {
            header(header::AUTHORIZATION.as_str()).and_then(|value| {
                let (scheme, token) = value.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            })
        })
        .or_else(|| query.get("api_key").map(String::as_str))
        .filter(|k| !k.is_empty())
}

/// Answers 400 to a request of one of our `/v1` routes that carries `api_key` in its query
/// string, before anything reads it: only ScraperAPI's paths take a key there.
pub async fn refuse_query_keys(request: Request, next: Next) -> Response {
    let carries_key = request.uri().path().starts_with("/v1/")
        && request.uri().query().is_some_and(|query| {
            url::form_urlencoded::parse(query.as_bytes()).any(|(name, _)| name == "api_key")
        });
    if carries_key {
        return ApiError::bad_request(
            "api_key",
            "send the API key in the x-api-key or Authorization: Bearer header: a key in \
             the query string is accepted only on ScraperAPI's paths (/job, /jobs, /batchjobs)",
        )
        .into_response();
    }
    next.run(request).await
}

/// Decides who presented `key`, against `keys` hashed under `pepper`.
pub fn authenticate(
    mode: &AuthMode,
    keys: &ApiKeys,
    pepper: &str,
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
             an Authorization: Bearer header or the api_key body field",
        )
    })?;
    let known = keys
        .lookup(key, pepper)
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

    const PEPPER: &str = "test-pepper";

    fn keys() -> ApiKeys {
        ApiKeys::parse("paid-key,free-key:free,shop-key:paid:shop:test").unwrap()
    }

    #[test]
    fn known_keys_authenticate_with_their_plan_and_a_digest_owner() {
        let caller = authenticate(&AuthMode::Keys, &keys(), PEPPER, Some("free-key")).unwrap();
        assert_eq!(caller.plan, Plan::Free);
        assert_eq!(caller.owner.len(), 64);
        assert!(!caller.owner.contains("free-key"));
        let paid = authenticate(&AuthMode::Keys, &keys(), PEPPER, Some("paid-key")).unwrap();
        assert_eq!(paid.plan, Plan::Paid);
        assert_ne!(paid.owner, caller.owner);
    }

    #[test]
    fn missing_and_unknown_keys_are_401() {
        for key in [None, Some("nope")] {
            let error = authenticate(&AuthMode::Keys, &keys(), PEPPER, key).unwrap_err();
            assert_eq!(error.status, StatusCode::UNAUTHORIZED);
        }
    }

    #[test]
    fn open_mode_accepts_anyone_as_the_configured_owner() {
        let mode = AuthMode::Open {
            owner: "local".into(),
        };
        let caller = authenticate(&mode, &ApiKeys::default(), PEPPER, None).unwrap();
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
        let shop = authenticate(&AuthMode::Keys, &keys(), PEPPER, Some("shop-key")).unwrap();
        assert_eq!(shop.tenant, Tenant::new("shop", "test"));
        let plain = authenticate(&AuthMode::Keys, &keys(), PEPPER, Some("paid-key")).unwrap();
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
    fn a_bearer_token_is_a_key_and_x_api_key_wins_over_it() {
        let query = HashMap::new();
        let mut headers = HeaderMap::new();
        headers.insert("authorization", "Bearer from-bearer".parse().unwrap());
        assert_eq!(key_from_parts(&headers, &query), Some("from-bearer"));
        headers.insert("x-api-key", "from-header".parse().unwrap());
        assert_eq!(key_from_parts(&headers, &query), Some("from-header"));
        let mut basic = HeaderMap::new();
        basic.insert("authorization", "Basic dXNlcjpwYXNz".parse().unwrap());
        assert_eq!(key_from_parts(&basic, &query), None);
    }

    #[test]
    fn a_digest_entry_authenticates_the_key_it_was_made_from() {
        let entry =
            crawler_config::digest_entry(PEPPER, "hashed-key", Plan::Free, &Tenant::default());
        let keys = ApiKeys::parse(&entry).unwrap();
        let caller = authenticate(&AuthMode::Keys, &keys, PEPPER, Some("hashed-key")).unwrap();
        assert_eq!(caller.plan, Plan::Free);
        assert_eq!(caller.owner, owner_of("hashed-key"));
        let error = authenticate(&AuthMode::Keys, &keys, "other", Some("hashed-key")).unwrap_err();
        assert_eq!(error.status, StatusCode::UNAUTHORIZED);
    }

    #[test]
    fn owner_is_the_sha256_of_the_key() {
        assert_eq!(
            owner_of("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
