//! JSON bodies (RFC 8259), compact, in the field order the body value serialises in.

use super::{Body, EncodeError};

pub const CONTENT_TYPE: &str = "application/json";

pub fn encode(body: &Body) -> Result<Vec<u8>, EncodeError> {
    Ok(serde_json::to_vec(body)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_compact_json_in_the_value_s_order() {
        let body = Body::Value(serde_json::json!({"a": 1, "b": [true, null]}));
        assert_eq!(encode(&body).unwrap(), br#"{"a":1,"b":[true,null]}"#);
    }
}
