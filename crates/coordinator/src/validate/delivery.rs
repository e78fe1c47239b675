//! What a webhook object says about how its requests look: its `profile`, its
//! `content_type` and `content_encoding`, and its event names (ours, or the ones the
//! profile's receivers know). The choices are the dispatcher's profile table, so a
//! profile added there is accepted here without a change.

use crawler_core::{ContentEncoding, ContentType, EventKind};
use crawler_dispatcher::encoding::Encoding;
use crawler_dispatcher::profiles::{self, DeliveryProfile};
use serde_json::Value;

use super::fields;
use crate::error::ApiError;

/// `prefix.name`, or `name` alone for a top-level field (a named endpoint's body).
fn field_name(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

/// The profile `value` names, or `default` when it names none.
pub fn profile(
    prefix: &str,
    value: Option<&Value>,
    default: &str,
) -> Result<&'static DeliveryProfile, ApiError> {
    let field = field_name(prefix, "profile");
    let name = match value {
        Some(v) => fields::string(&field, v)?,
        None => default,
    };
    profiles::profile(name).ok_or_else(|| {
        ApiError::bad_request(
            &field,
            format!(
                "{field} must be one of {}, not {name:?}",
                profiles::names().join(", ")
            ),
        )
    })
}

/// `content_type`, which the profile must be able to write; `None` keeps its own.
pub fn content_type(
    prefix: &str,
    value: Option<&Value>,
    profile: &DeliveryProfile,
) -> Result<Option<ContentType>, ApiError> {
    let field = field_name(prefix, "content_type");
    let Some(value) = value else {
        return Ok(None);
    };
    let names: Vec<&str> = ContentType::ALL.iter().map(|c| c.as_str()).collect();
    let chosen = ContentType::parse(fields::one_of(&field, value, &names)?)
        .ok_or_else(|| ApiError::bad_request(&field, format!("{field} is not known")))?;
    if !profile.accepts(Encoding::from(chosen)) {
        return Err(ApiError::bad_request(
            &field,
            format!(
                "{field} {} is not available with the {} profile, whose bodies are not flat; use json or msgpack",
                chosen.as_str(),
                profile.name
            ),
        ));
    }
    Ok(Some(chosen))
}

/// `content_encoding`; `None` keeps the profile's.
pub fn content_encoding(
    prefix: &str,
    value: Option<&Value>,
) -> Result<Option<ContentEncoding>, ApiError> {
    let field = field_name(prefix, "content_encoding");
    let Some(value) = value else {
        return Ok(None);
    };
    let names: Vec<&str> = ContentEncoding::ALL.iter().map(|c| c.as_str()).collect();
    Ok(ContentEncoding::parse(fields::one_of(
        &field, value, &names,
    )?))
}

/// The kind of an event name: ours (`crawl.page`) or the profile's (`scraper.data.scraped`).
pub fn event_kind(name: &str, profile: &DeliveryProfile) -> Option<EventKind> {
    EventKind::parse(name).or_else(|| profile.kind_named(name))
}

/// The event names a profile's endpoints may list, for error messages.
pub fn event_names(profile: &DeliveryProfile) -> String {
    let ours = [EventKind::Started, EventKind::Page, EventKind::Summary].map(EventKind::as_str);
    let mut names: Vec<&str> = ours.to_vec();
    names.extend(
        profile
            .events
            .iter()
            .map(|(_, name)| *name)
            .filter(|name| !ours.contains(name)),
    );
    names.join(", ")
}

/// A short text field of the job (`name`, `custom_id`), at most `max` characters.
pub fn short_text(
    field: &str,
    value: Option<&Value>,
    max: usize,
) -> Result<Option<String>, ApiError> {
    let Some(value) = value else {
        return Ok(None);
    };
    let text = match value {
        // WebScraper.io's custom ids are often numbers; keep them as they were written.
        Value::Number(n) => n.to_string(),
        other => fields::string(field, other)?.to_string(),
    };
    if text.chars().count() > max {
        return Err(ApiError::bad_request(
            field,
            format!("{field} must be at most {max} characters"),
        ));
    }
    Ok(Some(text))
}
