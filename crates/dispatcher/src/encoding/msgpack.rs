//! MessagePack bodies (<https://msgpack.org/>): the same value as the JSON body, with
//! field names kept (maps, not positional arrays), so a receiver decodes it into the same
//! structure it would read from JSON.

use super::{Body, EncodeError};

pub const CONTENT_TYPE: &str = "application/msgpack";

pub fn encode(body: &Body) -> Result<Vec<u8>, EncodeError> {
    Ok(rmp_serde::to_vec_named(body)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_back_to_the_json_value() {
        let value = serde_json::json!({"event": "x", "n": 3, "list": [true, null, "s"]});
        let bytes = encode(&Body::Value(value.clone())).unwrap();
        let back: serde_json::Value = rmp_serde::from_slice(&bytes).unwrap();
        assert_eq!(back, value);
    }
}
