//! API keys, their plans and their tenants, from `CRAWLER_API_KEYS`.
//!
//! Each comma-separated entry is `secret[:plan[:project[:env]]]`: the plan is `free` or
//! `paid` (default `paid`), the project defaults to `default` and the environment to
//! `live`. Keys of the same project and environment share that tenant's webhook
//! endpoints; jobs stay the key's own.
//!
//! The secret is best given as `sha256hmac:<hex>`, the HMAC-SHA256 of the key under the
//! server's `api_key_pepper` (what `crawler keys new` prints), so the configuration never
//! holds a usable key. A plain key is accepted too, for development, and is replaced by its
//! digest as soon as the settings are loaded ([`ApiKeys::seal`]). A presented key is
//! compared with every entry in constant time, so the answer's timing tells nothing about
//! how close a guess was.

use crawler_core::tenant::{DEFAULT_ENV, DEFAULT_PROJECT, MAX_TENANT_PART_LEN};
use crawler_core::Tenant;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Deserializer};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// The prefix of a digest entry.
pub const DIGEST_PREFIX: &str = "sha256hmac:";

/// Keys documented as examples: a deployment configured with one of them would be open to
/// anyone who read the docs, so the settings refuse them unless `demo` is set.
pub const PLACEHOLDER_KEYS: [&str; 5] = [
    "change-me",
    "changeme",
    "replace-me",
    "your-api-key",
    "secret",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    Free,
    Paid,
}

impl Plan {
    pub fn as_str(self) -> &'static str {
        match self {
            Plan::Free => "free",
            Plan::Paid => "paid",
        }
    }
}

/// What an entry holds of its key.
#[derive(Clone, PartialEq, Eq)]
enum Secret {
    /// A plain key, until [`ApiKeys::seal`] replaces it by its digest.
    Plain(String),
    Digest([u8; 32]),
}

impl std::fmt::Debug for Secret {
    /// Never prints a key, so a logged or panicking `Settings` leaks none.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Secret::Plain(_) => f.write_str("Plain(<redacted>)"),
            Secret::Digest(_) => f.write_str("Digest(<redacted>)"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    secret: Secret,
    pub plan: Plan,
    /// The project and environment the key belongs to.
    pub tenant: Tenant,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiKeys(Vec<ApiKey>);

/// The HMAC-SHA256 of `key` under `pepper`.
pub fn key_digest(pepper: &str, key: &str) -> [u8; 32] {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(pepper.as_bytes()).expect("HMAC takes keys of any size");
    mac.update(key.as_bytes());
    mac.finalize().into_bytes().into()
}

/// The configuration entry for `key` under `pepper`: `sha256hmac:<hex>:plan[:project:env]`.
pub fn digest_entry(pepper: &str, key: &str, plan: Plan, tenant: &Tenant) -> String {
    let mut entry = format!(
        "{DIGEST_PREFIX}{}:{}",
        hex::encode(key_digest(pepper, key)),
        plan.as_str()
    );
    if !tenant.is_default() {
        entry.push_str(&format!(":{}:{}", tenant.project, tenant.env));
    }
    entry
}

impl ApiKeys {
    pub fn parse(text: &str) -> Result<Self, String> {
        let keys = text
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(parse_entry)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ApiKeys(keys))
    }

    /// The entry whose key is `presented`. Every entry is compared, each in constant time,
    /// whether or not an earlier one matched.
    pub fn lookup(&self, presented: &str, pepper: &str) -> Option<&ApiKey> {
        let digest = key_digest(pepper, presented);
        let mut found = None;
        for entry in &self.0 {
            let expected = match &entry.secret {
                Secret::Digest(expected) => *expected,
                Secret::Plain(key) => key_digest(pepper, key),
            };
            if bool::from(expected.ct_eq(&digest)) {
                found = found.or(Some(entry));
            }
        }
        found
    }

    /// Replaces every plain key by its digest under `pepper`, so no key stays in memory.
    pub fn seal(&mut self, pepper: &str) {
        for entry in &mut self.0 {
            if let Secret::Plain(key) = &entry.secret {
                entry.secret = Secret::Digest(key_digest(pepper, key));
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether any entry is a digest (which only its pepper can match).
    pub fn has_digests(&self) -> bool {
        self.0.iter().any(|k| matches!(k.secret, Secret::Digest(_)))
    }

    /// The first plain key that is a documented placeholder.
    pub fn placeholder(&self) -> Option<&'static str> {
        self.0.iter().find_map(|k| match &k.secret {
            Secret::Plain(key) => PLACEHOLDER_KEYS.iter().copied().find(|p| p == key),
            Secret::Digest(_) => None,
        })
    }
}

/// One `secret[:plan[:project[:env]]]` entry.
fn parse_entry(entry: &str) -> Result<ApiKey, String> {
    let (secret, rest) = match entry.strip_prefix(DIGEST_PREFIX) {
        Some(digest) => {
            let (hex_digest, rest) = digest.split_once(':').unwrap_or((digest, ""));
            (parse_digest(hex_digest)?, rest)
        }
        None => {
            let (key, rest) = entry.split_once(':').unwrap_or((entry, ""));
            if key.is_empty() {
                return Err("an API key is empty".into());
            }
            (Secret::Plain(key.to_string()), rest)
        }
    };
    let mut parts = rest.split(':').filter(|_| !rest.is_empty());
    let plan = match parts.next() {
        None | Some("paid") => Plan::Paid,
        Some("free") => Plan::Free,
        Some(other) => return Err(format!("unknown plan `{other}` (use `free` or `paid`)")),
    };
    let project = tenant_part("project", parts.next().unwrap_or(DEFAULT_PROJECT))?;
    let env = tenant_part("environment", parts.next().unwrap_or(DEFAULT_ENV))?;
    if parts.next().is_some() {
        return Err("an API key entry has more than key:plan:project:env".into());
    }
    Ok(ApiKey {
        secret,
        plan,
        tenant: Tenant::new(project, env),
    })
}

fn parse_digest(text: &str) -> Result<Secret, String> {
    let bytes = hex::decode(text)
        .map_err(|_| format!("`{DIGEST_PREFIX}` must be followed by 64 hex digits"))?;
    let digest: [u8; 32] = bytes
        .try_into()
        .map_err(|_| format!("`{DIGEST_PREFIX}` must be followed by 64 hex digits"))?;
    Ok(Secret::Digest(digest))
}

fn tenant_part<'a>(what: &str, value: &'a str) -> Result<&'a str, String> {
    if Tenant::valid_part(value) {
        Ok(value)
    } else {
        Err(format!(
            "invalid {what} `{value}`: use 1 to {MAX_TENANT_PART_LEN} letters, digits, `-` or `_`"
        ))
    }
}

pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<ApiKeys, D::Error> {
    let text = String::deserialize(d)?;
    ApiKeys::parse(&text).map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests;
