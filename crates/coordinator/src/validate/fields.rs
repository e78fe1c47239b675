//! Typing one JSON value at a time, each failure naming its field.

use axum::http::{HeaderName, HeaderValue};
use regex::{Regex, RegexBuilder};
use serde_json::Value;
use std::collections::BTreeMap;

use crate::error::ApiError;

/// Largest compiled size of a URL regex. The `regex` crate's own default (10 MiB) lets a
/// pattern such as `(a{100}){100}` cost every worker megabytes per job; URL filters never
/// need that much.
pub const REGEX_SIZE_LIMIT: usize = 1 << 20;

pub fn string<'v>(field: &str, value: &'v Value) -> Result<&'v str, ApiError> {
    value
        .as_str()
        .ok_or_else(|| ApiError::bad_request(field, format!("{field} must be a string")))
}

/// A non-negative integer no larger than `max`. Negative, fractional, string and huge
/// numbers are all refused: serde_json reads integers beyond u64 as floats, which
/// `as_u64` rejects.
pub fn count(field: &str, value: &Value, max: u64) -> Result<u64, ApiError> {
    let n = value.as_u64().ok_or_else(|| {
        ApiError::bad_request(field, format!("{field} must be a non-negative integer"))
    })?;
    if n > max {
        return Err(ApiError::bad_request(
            field,
            format!("{field} must be at most {max}"),
        ));
    }
    Ok(n)
}

/// A boolean. `"true"` and `"false"` are accepted too, because ScraperAPI's parameters
/// are query-string values in its other APIs and clients carry them over as strings.
pub fn flag(field: &str, value: &Value) -> Result<bool, ApiError> {
    match value {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s == "true" => Ok(true),
        Value::String(s) if s == "false" => Ok(false),
        _ => Err(ApiError::bad_request(
            field,
            format!("{field} must be true or false"),
        )),
    }
}

/// Whether a value asks for something: `true`, a non-empty string other than "false" or
/// "0", or a non-zero number.
pub fn truthy(value: &Value) -> bool {
    match value {
        Value::Bool(b) => *b,
        Value::String(s) => !(s.is_empty() || s == "false" || s == "0"),
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        Value::Null => false,
    }
}

/// One of a fixed set of strings.
pub fn one_of<'v>(field: &str, value: &'v Value, allowed: &[&str]) -> Result<&'v str, ApiError> {
    let s = string(field, value)?;
    if allowed.contains(&s) {
        Ok(s)
    } else {
        Err(ApiError::bad_request(
            field,
            format!("{field} must be one of {}, not `{s}`", allowed.join(", ")),
        ))
    }
}

/// A URL regex: a string no longer than `max_len` that compiles within
/// [`REGEX_SIZE_LIMIT`].
pub fn regex(field: &str, value: &Value, max_len: usize) -> Result<Regex, ApiError> {
    let source = string(field, value)?;
    if source.len() > max_len {
        return Err(ApiError::bad_request(
            field,
            format!("{field} is longer than {max_len} bytes"),
        ));
    }
    RegexBuilder::new(source)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| ApiError::bad_request(field, format!("{field} is not a valid regex: {e}")))
}

/// An object of HTTP header names to string values. Names are lower-cased; `reserved`
/// says whether a (lower-case) name may not be set by the user.
pub fn header_map(
    field: &str,
    value: &Value,
    reserved: impl Fn(&str) -> bool,
) -> Result<BTreeMap<String, String>, ApiError> {
    let object = value
        .as_object()
        .ok_or_else(|| ApiError::bad_request(field, format!("{field} must be an object")))?;
    let mut headers = BTreeMap::new();
    for (name, value) in object {
        let bad = |why: String| ApiError::bad_request(field, why);
        let parsed = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| bad(format!("`{name}` is not a valid header name")))?;
        let lower = parsed.as_str().to_string();
        if reserved(&lower) {
            return Err(bad(format!("the header `{name}` cannot be set")));
        }
        let text = value
            .as_str()
            .ok_or_else(|| bad(format!("the value of header `{name}` must be a string")))?;
        HeaderValue::from_str(text).map_err(|_| {
            bad(format!(
                "the value of header `{name}` is not a valid header value"
            ))
        })?;
        headers.insert(lower, text.to_string());
    }
    Ok(headers)
}
