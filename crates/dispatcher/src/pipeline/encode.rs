//! Step 3: the body value as bytes, in the target's encoding and compression (the
//! endpoint's choice, else its profile's).

use crate::encoding::{Body, EncodeError, Encoded};
use crate::target::Target;

pub fn encode(target: &Target, body: &Body) -> Result<Encoded, EncodeError> {
    let bytes = target.encoding.encode(body)?;
    let bytes = target.compression.compress(bytes)?;
    Ok(Encoded {
        bytes,
        encoding: target.encoding,
        compression: target.compression,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::{Compression, Encoding};
    use crate::pipeline::tests::target;

    #[test]
    fn standard_bodies_are_plain_json() {
        let body = Body::Value(serde_json::json!({"event": "x"}));
        let encoded = encode(&target(), &body).unwrap();
        assert_eq!(encoded.bytes, br#"{"event":"x"}"#);
        assert_eq!(encoded.encoding, Encoding::Json);
        assert_eq!(encoded.compression, Compression::None);
    }

    #[test]
    fn gzipped_msgpack_is_the_msgpack_compressed() {
        let body = Body::Value(serde_json::json!({"event": "x", "n": [1, 2]}));
        let mut target = target();
        target.encoding = Encoding::Msgpack;
        target.compression = Compression::Gzip;
        let encoded = encode(&target, &body).unwrap();
        let mut plain = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::GzDecoder::new(encoded.bytes.as_slice()),
            &mut plain,
        )
        .unwrap();
        let value: serde_json::Value = rmp_serde::from_slice(&plain).unwrap();
        assert_eq!(value, serde_json::json!({"event": "x", "n": [1, 2]}));
    }
}
