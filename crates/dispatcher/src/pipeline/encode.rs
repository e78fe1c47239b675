//! Step 3: the body value as bytes, in the profile's encoding and compression.

use crate::encoding::{Body, EncodeError, Encoded};
use crate::profiles::DeliveryProfile;

pub fn encode(profile: &DeliveryProfile, body: &Body) -> Result<Encoded, EncodeError> {
    let bytes = profile.encoding.encode(body)?;
    let bytes = profile.compression.compress(bytes)?;
    Ok(Encoded {
        bytes,
        encoding: profile.encoding,
        compression: profile.compression,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::{Compression, Encoding};
    use crate::profiles;

    #[test]
    fn standard_bodies_are_plain_json() {
        let body = Body::Value(serde_json::json!({"event": "x"}));
        let encoded = encode(profiles::standard(), &body).unwrap();
        assert_eq!(encoded.bytes, br#"{"event":"x"}"#);
        assert_eq!(encoded.encoding, Encoding::Json);
        assert_eq!(encoded.compression, Compression::None);
    }
}
