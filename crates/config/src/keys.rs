//! API keys and their plans, from `CRAWLER_API_KEYS=key,key2:free`.

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
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiKeys(Vec<ApiKey>);

impl ApiKeys {
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut keys = Vec::new();
        for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (key, plan) = match entry.split_once(':') {
                Some((key, "free")) => (key, Plan::Free),
                Some((key, "paid")) => (key, Plan::Paid),
                Some((_, other)) => {
                    return Err(format!("unknown plan `{other}` (use `free` or `paid`)"))
                }
                None => (entry, Plan::Paid),
            };
            if key.is_empty() {
                return Err("an API key is empty".into());
            }
            keys.push(ApiKey {
                key: key.to_string(),
                plan,
            });
        }
        Ok(ApiKeys(keys))
    }

    pub fn lookup(&self, key: &str) -> Option<&ApiKey> {
        self.0.iter().find(|k| k.key == key)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<ApiKeys, D::Error> {
    let text = String::deserialize(d)?;
    ApiKeys::parse(&text).map_err(serde::de::Error::custom)
}
