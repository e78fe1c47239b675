//! MessagePack bodies (<https://msgpack.org/>): the same value as the JSON body, with
//! field names kept (maps, not positional arrays) and ids as their text (human-readable
//! mode; a UUID would otherwise go as 16 raw bytes), so a receiver decodes it into the
//! same structure it would read from JSON.

use serde::Serialize;

use super::{Body, EncodeError};

pub const CONTENT_TYPE: &str = "application/msgpack";

pub fn encode(body: &Body) -> Result<Vec<u8>, EncodeError> {
    let mut bytes = Vec::new();
    let mut serializer = rmp_serde::Serializer::new(&mut bytes)
        .with_struct_map()
        .with_human_readable();
    body.serialize(&mut serializer)?;
    Ok(bytes)
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

    #[test]
    fn ids_go_as_text() {
        let event = crawler_core::WebhookEvent::Started(crawler_core::StartedEvent {
            job_id: crawler_core::JobId(uuid::Uuid::nil()),
            start_url: "http://site.test/".into(),
            meta: serde_json::Value::Null,
        });
        let bytes = encode(&Body::Event(Box::new(event))).unwrap();
        let back: serde_json::Value = rmp_serde::from_slice(&bytes).unwrap();
        assert_eq!(back["jobId"], uuid::Uuid::nil().to_string());
        assert_eq!(back["event"], "crawl.started");
    }
}
