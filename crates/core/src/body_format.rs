//! How a webhook body is written on the wire: its format (`content_type`) and what is done
//! to the bytes afterwards (`content_encoding`). An endpoint chooses both; the dispatcher's
//! `encoding` module does the work. They live here because endpoints, inline callbacks
//! and stored job records all carry them.

use serde::{Deserialize, Serialize};

/// The format of a webhook body.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContentType {
    /// `application/json`.
    #[default]
    Json,
    /// `application/msgpack`: the same value as the JSON body, in MessagePack.
    Msgpack,
    /// `application/x-www-form-urlencoded`: only for profiles whose bodies are flat.
    Form,
}

impl ContentType {
    pub const ALL: [ContentType; 3] = [ContentType::Json, ContentType::Msgpack, ContentType::Form];

    pub fn as_str(self) -> &'static str {
        match self {
            ContentType::Json => "json",
            ContentType::Msgpack => "msgpack",
            ContentType::Form => "form",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub fn is_json(&self) -> bool {
        *self == ContentType::Json
    }
}

/// What is done to the encoded bytes before they are sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContentEncoding {
    /// Sent as they are.
    #[default]
    Identity,
    /// gzip (RFC 1952), announced with `content-encoding: gzip`.
    Gzip,
}

impl ContentEncoding {
    pub const ALL: [ContentEncoding; 2] = [ContentEncoding::Identity, ContentEncoding::Gzip];

    pub fn as_str(self) -> &'static str {
        match self {
            ContentEncoding::Identity => "identity",
            ContentEncoding::Gzip => "gzip",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub fn is_identity(&self) -> bool {
        *self == ContentEncoding::Identity
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back_and_defaults_are_json_and_identity() {
        for c in ContentType::ALL {
            assert_eq!(ContentType::parse(c.as_str()), Some(c));
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        }
        for c in ContentEncoding::ALL {
            assert_eq!(ContentEncoding::parse(c.as_str()), Some(c));
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        }
        assert_eq!(ContentType::default(), ContentType::Json);
        assert_eq!(ContentEncoding::default(), ContentEncoding::Identity);
        assert_eq!(ContentType::parse("xml"), None);
    }
}
