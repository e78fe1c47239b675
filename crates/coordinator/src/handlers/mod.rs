//! Request handlers, one module per concern.

pub mod async_jobs;
pub mod continuation;
pub mod deliveries;
pub mod delivery_log;
pub mod health;
pub mod jobs;
pub mod results;
pub mod schedule_view;
pub mod schedules;
pub mod submit;
pub mod webhooks;

use std::collections::HashMap;

/// The query string as a map; a malformed one reads as whatever pairs it holds, so that
/// no request is refused with a non-JSON error.
pub fn query_map(raw: Option<&str>) -> HashMap<String, String> {
    url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}
