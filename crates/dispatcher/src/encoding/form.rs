//! Form bodies (`application/x-www-form-urlencoded`, as an HTML form posts them), for
//! profiles whose receivers read `$_POST`-style fields: a flat object of strings, numbers
//! and booleans, one `name=value` pair each.

use serde_json::Value;

use super::{Body, EncodeError};

pub const CONTENT_TYPE: &str = "application/x-www-form-urlencoded";

pub fn encode(body: &Body) -> Result<Vec<u8>, EncodeError> {
    let Body::Value(Value::Object(fields)) = body else {
        return Err(EncodeError::NotFlat);
    };
    let mut pairs = Vec::with_capacity(fields.len());
    for (name, value) in fields {
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Null => String::new(),
            Value::Array(_) | Value::Object(_) => return Err(EncodeError::NotFlat),
        };
        pairs.push((name.as_str(), text));
    }
    Ok(serde_urlencoded::to_string(pairs)?.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_objects_become_pairs_in_field_order() {
        let body = Body::Value(serde_json::json!({"b": "x y&z", "a": 12, "c": null}));
        let bytes = encode(&body).unwrap();
        let mut pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).unwrap();
        pairs.sort();
        assert_eq!(
            pairs,
            [
                ("a".to_string(), "12".to_string()),
                ("b".to_string(), "x y&z".to_string()),
                ("c".to_string(), String::new()),
            ]
        );
    }

    #[test]
    fn nested_values_are_refused() {
        let body = Body::Value(serde_json::json!({"a": {"b": 1}}));
        assert!(matches!(encode(&body), Err(EncodeError::NotFlat)));
        let body = Body::Value(serde_json::json!([1]));
        assert!(matches!(encode(&body), Err(EncodeError::NotFlat)));
    }
}
