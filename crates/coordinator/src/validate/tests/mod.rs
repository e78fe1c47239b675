//! Unit tests of every validation rule, one file per part of the request.

mod api_params;
mod callback;
mod endpoint;
mod job;
mod profiles;
mod schedule;
mod strict;

use axum::http::StatusCode;
use crawler_config::Plan;
use serde_json::{json, Value};

use super::*;

pub(super) fn rules() -> Rules {
    Rules {
        max_depth_limit: 10,
        max_budget_limit: 1000,
        cost_per_page: 2,
        max_regex_len: 64,
        default_timeout_sec: 7200,
        proxy_countries: ["us".to_string()].into_iter().collect(),
    }
}

/// A valid request with `changes` merged over it (a `null` removes a field).
pub(super) fn request(changes: Value) -> CrawlRequest {
    let mut body = json!({"start_url": "https://Example.com:443/a/../b#x", "max_depth": 1});
    for (key, value) in changes.as_object().unwrap() {
        if value.is_null() {
            body.as_object_mut().unwrap().remove(key);
        } else {
            body[key] = value.clone();
        }
    }
    CrawlRequest::parse(body.to_string().as_bytes()).unwrap()
}

pub(super) fn accept(changes: Value) -> JobSpec {
    job_spec(&request(changes), &rules(), Plan::Paid).expect("valid")
}

pub(super) fn refuse_as(plan: Plan, changes: Value) -> ApiError {
    job_spec(&request(changes.clone()), &rules(), plan).expect_err(&changes.to_string())
}

/// Asserts a 400 naming `field`, with a message containing `words`.
pub(super) fn assert_bad(changes: Value, field: &str, words: &str) {
    let error = refuse_as(Plan::Paid, changes.clone());
    assert_eq!(
        error.status,
        StatusCode::BAD_REQUEST,
        "{changes}: {error:?}"
    );
    assert_eq!(error.field.as_deref(), Some(field), "{changes}: {error:?}");
    assert!(error.message.contains(words), "{changes}: {error:?}");
}
