//! The `callback` object: where and how a job's webhooks go. HasData's `webhook` object is
//! the same with another default profile (see [`webhook`]).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use crawler_core::{Callback, EventKind, PayloadMode};
use crawler_dispatcher::profiles::DeliveryProfile;
use serde_json::Value;
use url::Url;

use super::{delivery, fields, strict};
use crate::error::ApiError;

/// Standard Webhooks secrets are `whsec_` followed by base64 of the key bytes.
const SECRET_PREFIX: &str = "whsec_";
/// Shortest and longest key the Standard Webhooks specification accepts, in bytes.
const SECRET_MIN_BYTES: usize = 24;
const SECRET_MAX_BYTES: usize = 64;
/// Length of the key generated when the job brings none.
const GENERATED_SECRET_BYTES: usize = 32;

/// Headers the dispatcher sets itself: a user value would break the signature or HTTP.
pub(super) fn reserved_header(name: &str) -> bool {
    name.starts_with("webhook-")
        || matches!(
            name,
            "content-type" | "content-length" | "host" | "transfer-encoding" | "connection"
        )
}

/// The `webhook` object HasData's clients send (`{url, events, headers}`): a callback
/// whose profile is `hasdata` unless it names another, and whose errors name `webhook.*`.
pub fn webhook(value: &Value) -> Result<Callback, ApiError> {
    let mut object = value
        .as_object()
        .cloned()
        .ok_or_else(|| ApiError::bad_request("webhook", "webhook must be an object"))?;
    object
        .entry("type")
        .or_insert_with(|| Value::String("webhook".into()));
    callback(&Value::Object(object), "hasdata").map_err(|mut error| {
        let renamed = |text: &str| text.replace("callback", "webhook");
        error.field = error.field.as_deref().map(renamed);
        error.message = renamed(&error.message);
        error
    })
}

/// The fields of a `callback` (and of HasData's `webhook`); `headers` is free-form.
const CALLBACK_FIELDS: [&str; 9] = [
    "type",
    "url",
    "profile",
    "events",
    "content_type",
    "content_encoding",
    "headers",
    "secret",
    "payload",
];

/// A `callback` object, of `default_profile` unless it names another.
pub fn callback(value: &Value, default_profile: &str) -> Result<Callback, ApiError> {
    let object = value
        .as_object()
        .ok_or_else(|| ApiError::bad_request("callback", "callback must be an object"))?;
    strict::known_keys("callback", object, &CALLBACK_FIELDS)?;
    let get = |key: &str| object.get(key).filter(|v| !v.is_null());

    let kind = get("type").ok_or_else(|| {
        ApiError::bad_request("callback.type", "callback.type is required (\"webhook\")")
    })?;
    fields::one_of("callback.type", kind, &["webhook"])?;

    let url = webhook_url(
        "callback.url",
        get("url")
            .ok_or_else(|| ApiError::bad_request("callback.url", "callback.url is required"))?,
    )?;
    let profile = delivery::profile("callback", get("profile"), default_profile)?;
    let events = match get("events") {
        Some(v) => events("callback.events", v, profile)?,
        None => EventKind::defaults(),
    };
    let content_type = delivery::content_type("callback", get("content_type"), profile)?;
    let content_encoding = delivery::content_encoding("callback", get("content_encoding"))?;
    let headers = match get("headers") {
        Some(v) => fields::header_map("callback.headers", v, reserved_header)?,
        None => Default::default(),
    };
    let secret = match get("secret") {
        Some(v) => secret("callback.secret", v)?,
        None => generate_secret(),
    };
    let payload = match get("payload") {
        Some(v) => match fields::one_of("callback.payload", v, &["full", "thin"])? {
            "thin" => PayloadMode::Thin,
            _ => PayloadMode::Full,
        },
        None => PayloadMode::Full,
    };
    Ok(Callback {
        url: url.to_string(),
        events,
        headers,
        secret,
        payload,
        profile: profile.name.to_string(),
        content_type,
        content_encoding,
        attempts: None,
    })
}

/// An absolute http(s) URL; `field` names it in errors (named endpoints share the rules).
pub(super) fn webhook_url(field: &str, value: &Value) -> Result<Url, ApiError> {
    let text = fields::string(field, value)?;
    let url = Url::parse(text.trim())
        .map_err(|e| ApiError::bad_request(field, format!("{field} is not a valid URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(ApiError::bad_request(
            field,
            format!("{field} must be an absolute http or https URL"),
        ));
    }
    Ok(url)
}

pub(super) fn events(
    field: &str,
    value: &Value,
    profile: &DeliveryProfile,
) -> Result<Vec<EventKind>, ApiError> {
    let names = value
        .as_array()
        .ok_or_else(|| ApiError::bad_request(field, format!("{field} must be an array")))?;
    let mut kinds = Vec::new();
    for name in names {
        let kind = name
            .as_str()
            .and_then(|name| delivery::event_kind(name, profile))
            .ok_or_else(|| {
                let known = delivery::event_names(profile);
                ApiError::bad_request(
                    field,
                    format!("{field} may contain only {known}, not {name}"),
                )
            })?;
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    if kinds.is_empty() {
        return Err(ApiError::bad_request(
            field,
            format!("{field} must name at least one event; leave out callback for none"),
        ));
    }
    kinds.sort();
    Ok(kinds)
}

pub(super) fn secret(field: &str, value: &Value) -> Result<String, ApiError> {
    let text = fields::string(field, value)?;
    let bad = || {
        ApiError::bad_request(
            field,
            format!(
                "{field} must be `{SECRET_PREFIX}` followed by the base64 of \
                 {SECRET_MIN_BYTES} to {SECRET_MAX_BYTES} bytes"
            ),
        )
    };
    let encoded = text.strip_prefix(SECRET_PREFIX).ok_or_else(bad)?;
    let key = STANDARD.decode(encoded).map_err(|_| bad())?;
    if !(SECRET_MIN_BYTES..=SECRET_MAX_BYTES).contains(&key.len()) {
        return Err(bad());
    }
    Ok(text.to_string())
}

/// A fresh Standard Webhooks secret for a job that brought none.
pub fn generate_secret() -> String {
    let key: [u8; GENERATED_SECRET_BYTES] = rand::random();
    format!("{SECRET_PREFIX}{}", STANDARD.encode(key))
}
