//! gzip compression (RFC 1952) of the encoded body, announced with
//! `content-encoding: gzip`. The signature covers the compressed bytes, the ones sent.

use std::io::Write;

use flate2::write::GzEncoder;

use super::EncodeError;

pub const CONTENT_ENCODING: &str = "gzip";

pub fn compress(bytes: &[u8]) -> Result<Vec<u8>, EncodeError> {
    let mut encoder = GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).map_err(EncodeError::Gzip)?;
    encoder.finish().map_err(EncodeError::Gzip)
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn decompresses_to_the_same_bytes() {
        let original = br#"{"event":"crawl.page"}"#.repeat(50);
        let compressed = compress(&original).unwrap();
        assert!(compressed.len() < original.len());
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(compressed.as_slice())
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, original);
    }
}
