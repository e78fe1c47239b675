//! Body encodings: how a shaped body becomes the bytes of a request, and which headers
//! describe those bytes to the receiver.
//!
//! A profile names a default [`Encoding`] (the body format) and [`Compression`] (applied
//! to the encoded bytes); an endpoint may choose others (`content_type`,
//! `content_encoding`). Adding an encoding means one module in this folder, one variant of
//! [`Encoding`] and its match arms; nothing outside this folder changes.

pub mod form;
pub mod gzip;
pub mod json;
pub mod msgpack;

use crawler_core::{ContentEncoding, ContentType, WebhookEvent};
use reqwest::header::{HeaderName, HeaderValue, CONTENT_ENCODING, CONTENT_TYPE};
use serde::{Serialize, Serializer};

/// The value a profile's shaping function makes of an event, before it is encoded.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// An event exactly as `crawler_core` serialises it, `event` tag first. Keeping the
    /// typed event (rather than a `serde_json::Value`) keeps its field order, which a
    /// `Value` would sort, and saves a copy of a possibly large page body. Boxed because an
    /// event is ten times the size of the other variant.
    Event(Box<WebhookEvent>),
    /// A free-form body, for profiles whose receivers expect other field names.
    Value(serde_json::Value),
}

impl Serialize for Body {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Body::Event(event) => event.serialize(serializer),
            Body::Value(value) => value.serialize(serializer),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    #[error("cannot encode the body as JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("cannot encode the body as MessagePack: {0}")]
    Msgpack(#[from] rmp_serde::encode::Error),
    #[error("cannot encode the body as a form: {0}")]
    Form(#[from] serde_urlencoded::ser::Error),
    #[error("a form body must be a flat object; this profile's bodies are not")]
    NotFlat,
    #[error("cannot gzip the body: {0}")]
    Gzip(std::io::Error),
}

/// The format of a request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// `application/json` ([`json`]).
    Json,
    /// `application/msgpack` ([`msgpack`]).
    Msgpack,
    /// `application/x-www-form-urlencoded` ([`form`]), for flat bodies only.
    Form,
}

impl Encoding {
    /// The `content-type` of bodies in this encoding.
    pub fn content_type(self) -> &'static str {
        match self {
            Encoding::Json => json::CONTENT_TYPE,
            Encoding::Msgpack => msgpack::CONTENT_TYPE,
            Encoding::Form => form::CONTENT_TYPE,
        }
    }

    pub fn encode(self, body: &Body) -> Result<Vec<u8>, EncodeError> {
        match self {
            Encoding::Json => json::encode(body),
            Encoding::Msgpack => msgpack::encode(body),
            Encoding::Form => form::encode(body),
        }
    }
}

impl From<ContentType> for Encoding {
    fn from(choice: ContentType) -> Self {
        match choice {
            ContentType::Json => Encoding::Json,
            ContentType::Msgpack => Encoding::Msgpack,
            ContentType::Form => Encoding::Form,
        }
    }
}

/// What is done to the encoded bytes before they are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// The bytes go as they are, with no `content-encoding` header.
    None,
    /// gzip ([`gzip`]).
    Gzip,
}

impl Compression {
    /// The `content-encoding` of compressed bodies; `None` when nothing is compressed.
    pub fn content_encoding(self) -> Option<&'static str> {
        match self {
            Compression::None => None,
            Compression::Gzip => Some(gzip::CONTENT_ENCODING),
        }
    }

    pub fn compress(self, bytes: Vec<u8>) -> Result<Vec<u8>, EncodeError> {
        match self {
            Compression::None => Ok(bytes),
            Compression::Gzip => gzip::compress(&bytes),
        }
    }
}

impl From<ContentEncoding> for Compression {
    fn from(choice: ContentEncoding) -> Self {
        match choice {
            ContentEncoding::Identity => Compression::None,
            ContentEncoding::Gzip => Compression::Gzip,
        }
    }
}

/// A body ready to send: the bytes, and how they were made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    pub bytes: Vec<u8>,
    pub encoding: Encoding,
    pub compression: Compression,
}

impl Encoded {
    /// The headers that describe the body: its `content-type`, then its `content-encoding`
    /// when it was compressed.
    pub fn headers(&self) -> Vec<(HeaderName, HeaderValue)> {
        let mut headers = vec![(
            CONTENT_TYPE,
            HeaderValue::from_static(self.encoding.content_type()),
        )];
        if let Some(coding) = self.compression.content_encoding() {
            headers.push((CONTENT_ENCODING, HeaderValue::from_static(coding)));
        }
        headers
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uncompressed_json_says_only_its_content_type() {
        let encoded = Encoded {
            bytes: b"{}".to_vec(),
            encoding: Encoding::Json,
            compression: Compression::None,
        };
        assert_eq!(
            encoded.headers(),
            vec![(CONTENT_TYPE, HeaderValue::from_static("application/json"))]
        );
    }

    #[test]
    fn gzipped_msgpack_says_both() {
        let encoded = Encoded {
            bytes: Vec::new(),
            encoding: Encoding::Msgpack,
            compression: Compression::Gzip,
        };
        assert_eq!(
            encoded.headers(),
            vec![
                (
                    CONTENT_TYPE,
                    HeaderValue::from_static("application/msgpack")
                ),
                (CONTENT_ENCODING, HeaderValue::from_static("gzip")),
            ]
        );
        assert_eq!(
            Encoding::from(ContentType::Form).content_type(),
            form::CONTENT_TYPE
        );
        assert_eq!(
            Compression::from(ContentEncoding::Identity),
            Compression::None
        );
    }

    #[test]
    fn no_compression_leaves_the_bytes_alone() {
        assert_eq!(Compression::None.compress(b"abc".to_vec()).unwrap(), b"abc");
        assert_eq!(Compression::None.content_encoding(), None);
    }
}
