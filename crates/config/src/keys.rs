//! API keys, their plans and their tenants, from `CRAWLER_API_KEYS`.
//!
//! Each comma-separated entry is `key[:plan[:project[:env]]]`: the plan is `free` or
//! `paid` (default `paid`), the project defaults to `default` and the environment to
//! `live`. Keys of the same project and environment share that tenant's webhook
//! endpoints; jobs stay the key's own.

use crawler_core::tenant::{DEFAULT_ENV, DEFAULT_PROJECT, MAX_TENANT_PART_LEN};
use crawler_core::Tenant;
use serde::{Deserialize, Deserializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    Free,
    Paid,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub key: String,
    pub plan: Plan,
    /// The project and environment the key belongs to.
    pub tenant: Tenant,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiKeys(Vec<ApiKey>);

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

    pub fn lookup(&self, key: &str) -> Option<&ApiKey> {
        self.0.iter().find(|k| k.key == key)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// One `key[:plan[:project[:env]]]` entry.
fn parse_entry(entry: &str) -> Result<ApiKey, String> {
    let mut parts = entry.split(':');
    let key = parts.next().unwrap_or_default();
    if key.is_empty() {
        return Err("an API key is empty".into());
    }
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
        key: key.to_string(),
        plan,
        tenant: Tenant::new(project, env),
    })
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
mod tests {
    use super::*;

    #[test]
    fn every_part_after_the_key_has_a_default() {
        let keys = ApiKeys::parse("a, b:free, c:paid:shop, d:free:shop:test").unwrap();
        let of = |k: &str| keys.lookup(k).unwrap().clone();
        assert_eq!(
            (of("a").plan, of("a").tenant),
            (Plan::Paid, Tenant::default())
        );
        assert_eq!(of("b").plan, Plan::Free);
        assert!(of("b").tenant.is_default());
        assert_eq!(of("c").tenant, Tenant::new("shop", "live"));
        assert_eq!(
            (of("d").plan, of("d").tenant),
            (Plan::Free, Tenant::new("shop", "test"))
        );
    }

    #[test]
    fn bad_entries_are_refused_with_the_reason() {
        for (text, reason) in [
            (":paid", "empty"),
            ("k:gold", "unknown plan"),
            ("k:paid:my shop", "invalid project"),
            ("k:paid:shop:", "invalid environment"),
            ("k:paid:shop:live:extra", "more than"),
        ] {
            let error = ApiKeys::parse(text).unwrap_err();
            assert!(error.contains(reason), "{text}: {error}");
        }
    }
}
