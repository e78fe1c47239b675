//! Strict input: a field the API does not know is a `400` naming it, as Stripe answers
//! "unknown parameter". A misspelled `max_dept` or `callback.evnts` would otherwise be
//! dropped in silence and the job would run without it.
//!
//! The top-level bodies are serde structs with `deny_unknown_fields` (their documented
//! aliases are serde aliases, so they stay known); [`unknown_field`] turns serde's error
//! into our field name. Nested objects are read from raw JSON by hand, so each reader
//! calls [`known_keys`] with the keys it reads. Free-form objects (`meta`, header maps)
//! are never checked.

use serde_json::{Map, Value};

use crate::error::ApiError;

/// The API key's body fields (docs/api.md): known in every body, whichever route reads them.
pub const KEY_FIELDS: [&str; 2] = ["api_key", "apiKey"];

/// Refuses the first key of `object` that is not in `known` (nor, in a top-level body, a
/// key field). `path` is the object's own dotted path (`callback`), empty for a body.
pub fn known_keys(path: &str, object: &Map<String, Value>, known: &[&str]) -> Result<(), ApiError> {
    let is_known =
        |key: &str| known.contains(&key) || (path.is_empty() && KEY_FIELDS.contains(&key));
    match object.keys().find(|key| !is_known(key)) {
        Some(key) => Err(unknown(&join(path, key))),
        None => Ok(()),
    }
}

/// The 400 for an unknown field at `path`.
pub fn unknown(path: &str) -> ApiError {
    ApiError::bad_request(path, format!("unknown field \"{path}\""))
}

/// The 400 for a body serde refused because of an unknown field, if that is why.
/// serde words it "unknown field `name`, expected ..." (serde::de::Error::unknown_field).
pub fn unknown_field(error: &serde_json::Error) -> Option<ApiError> {
    let text = error.to_string();
    let rest = text.strip_prefix("unknown field `")?;
    let name = &rest[..rest.find('`')?];
    Some(unknown(name))
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        max_depth: Option<Value>,
    }

    #[test]
    fn serde_unknown_fields_become_our_400() {
        let error = serde_json::from_str::<Body>(r#"{"max_dept": 2}"#).unwrap_err();
        let refused = unknown_field(&error).expect("an unknown-field error");
        assert_eq!(refused.field.as_deref(), Some("max_dept"));
        assert_eq!(refused.message, "unknown field \"max_dept\"");

        let syntax = serde_json::from_str::<Body>(r#"{"max_depth": "#).unwrap_err();
        assert!(unknown_field(&syntax).is_none());
    }

    #[test]
    fn nested_keys_are_named_with_their_path() {
        let object = json!({"url": "x", "evnts": []});
        let refused =
            known_keys("callback", object.as_object().unwrap(), &["url", "events"]).unwrap_err();
        assert_eq!(refused.field.as_deref(), Some("callback.evnts"));
        assert!(known_keys("", object.as_object().unwrap(), &["url", "evnts"]).is_ok());
    }
}
