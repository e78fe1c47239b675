//! The body of `POST /v1/webhooks` and `PATCH /v1/webhooks/{name}`: a named endpoint's
//! fields, typed one by one so that an error names the field at fault. The URL, events,
//! secret and headers follow the rules of a job's inline `callback`.

use std::collections::BTreeMap;

use crawler_core::{ContentEncoding, ContentType, EventKind};
use crawler_deliveries::endpoints::DEFAULT_PROFILE;
use serde_json::{Map, Value};

use super::{callback, delivery, fields, strict};
use crate::error::ApiError;

/// Longest endpoint name.
pub const MAX_NAME_LEN: usize = 64;
/// Most retries an endpoint may ask for.
pub const MAX_RETRIES: usize = 20;
/// Longest wait before one retry: a week.
pub const MAX_RETRY_DELAY_MS: u64 = 7 * 86_400_000;
/// Longest time one attempt may take: five minutes.
pub const MAX_TIMEOUT_MS: u64 = 300_000;

/// The fields a request set; `None` where it left one out. For the two settings that have
/// a default, `Some(None)` is an explicit `null`: back to the default.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EndpointFields {
    pub name: Option<String>,
    pub url: Option<String>,
    pub secret: Option<String>,
    pub profile: Option<String>,
    pub events: Option<Vec<EventKind>>,
    pub headers: Option<BTreeMap<String, String>>,
    pub retry_schedule_ms: Option<Option<Vec<u64>>>,
    pub timeout_ms: Option<Option<u64>>,
    pub content_type: Option<Option<ContentType>>,
    pub content_encoding: Option<Option<ContentEncoding>>,
}

/// The fields of an endpoint; `headers` is free-form.
const ENDPOINT_FIELDS: [&str; 10] = [
    "name",
    "url",
    "secret",
    "profile",
    "events",
    "headers",
    "retry_schedule",
    "timeout_ms",
    "content_type",
    "content_encoding",
];

/// Reads a request body.
pub fn endpoint_fields(body: &Value) -> Result<EndpointFields, ApiError> {
    let object = body
        .as_object()
        .ok_or_else(|| ApiError::bad_request("body", "the request body must be a JSON object"))?;
    strict::known_keys("", object, &ENDPOINT_FIELDS)?;
    let get = |key: &str| object.get(key).filter(|v| !v.is_null());
    // Event names and body formats are checked against the profile the body names, or
    // the standard one (whose event names every profile also accepts).
    let profile = delivery::profile("", get("profile"), DEFAULT_PROFILE)?;
    Ok(EndpointFields {
        name: get("name").map(|v| endpoint_name("name", v)).transpose()?,
        url: get("url")
            .map(|v| callback::webhook_url("url", v).map(|u| u.to_string()))
            .transpose()?,
        secret: get("secret")
            .map(|v| callback::secret("secret", v))
            .transpose()?,
        profile: get("profile").map(|_| profile.name.to_string()),
        events: get("events")
            .map(|v| callback::events("events", v, profile))
            .transpose()?,
        headers: get("headers")
            .map(|v| fields::header_map("headers", v, callback::reserved_header))
            .transpose()?,
        retry_schedule_ms: nullable(object, "retry_schedule", retry_schedule)?,
        timeout_ms: nullable(object, "timeout_ms", timeout_ms)?,
        content_type: nullable(object, "content_type", |v| {
            delivery::content_type("", Some(v), profile).map(Option::unwrap_or_default)
        })?,
        content_encoding: nullable(object, "content_encoding", |v| {
            delivery::content_encoding("", Some(v)).map(Option::unwrap_or_default)
        })?,
    })
}

/// An endpoint name: 1 to 64 letters, digits, `-`, `_` or `.`, so that it reads the same
/// in a path, a header and a Redis key. `field` names it in errors.
pub fn endpoint_name(field: &str, value: &Value) -> Result<String, ApiError> {
    let text = fields::string(field, value)?;
    let valid = !text.is_empty()
        && text.len() <= MAX_NAME_LEN
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if !valid {
        return Err(ApiError::bad_request(
            field,
            format!("{field} must be 1 to {MAX_NAME_LEN} letters, digits, `-`, `_` or `.`"),
        ));
    }
    Ok(text.to_string())
}

/// A field that may be `null` (back to its default) as well as absent or set.
fn nullable<T>(
    object: &Map<String, Value>,
    key: &str,
    read: impl Fn(&Value) -> Result<T, ApiError>,
) -> Result<Option<Option<T>>, ApiError> {
    match object.get(key) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(value) => read(value).map(|v| Some(Some(v))),
    }
}

/// A list of waits, each `"30s"`-style text or milliseconds, or one `"30s,1m"` text.
fn retry_schedule(value: &Value) -> Result<Vec<u64>, ApiError> {
    let field = "retry_schedule";
    let bad = |why: String| ApiError::bad_request(field, why);
    let items: Vec<Value> = match value {
        Value::String(text) => text.split(',').map(|s| Value::from(s.trim())).collect(),
        Value::Array(items) => items.clone(),
        _ => {
            return Err(bad(format!(
                "{field} must be a list of durations such as [\"30s\", \"5m\"]"
            )))
        }
    };
    if items.len() > MAX_RETRIES {
        return Err(bad(format!(
            "{field} may hold at most {MAX_RETRIES} retries"
        )));
    }
    let mut delays = Vec::with_capacity(items.len());
    for item in &items {
        let ms = match item {
            Value::String(text) => crawler_config::parse_duration_list(text)
                .map_err(|e| bad(format!("{field}: {e}")))?
                .first()
                .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
                .ok_or_else(|| bad(format!("{field} holds an empty duration")))?,
            other => fields::count(field, other, MAX_RETRY_DELAY_MS)?,
        };
        if ms > MAX_RETRY_DELAY_MS {
            return Err(bad(format!("{field}: a wait may be at most 7 days")));
        }
        delays.push(ms);
    }
    Ok(delays)
}

fn timeout_ms(value: &Value) -> Result<u64, ApiError> {
    let ms = fields::count("timeout_ms", value, MAX_TIMEOUT_MS)?;
    if ms == 0 {
        return Err(ApiError::bad_request(
            "timeout_ms",
            "timeout_ms must be at least 1",
        ));
    }
    Ok(ms)
}
