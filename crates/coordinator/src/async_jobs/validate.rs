//! Turns an [`AsyncRequest`] into the [`JobSpec`] of a `fetch` (one URL) or a `batch` job,
//! or into the 400 naming the field at fault. Pure, like [`crate::validate`]: a refused
//! request touches neither the job store nor the queue. A batch is accepted or refused as
//! a whole; a bad URL is named by its index (`urls[17]`).
//!
//! Duplicate URLs in a batch are refused, naming both indexes. Each item of a batch is a
//! seed of one job, and a job fetches each normalised URL once (its seen-set is what makes
//! a redelivered task harmless), so two items with one URL would share one fetch and leave
//! the other item running for ever. A client that wants the same page twice sends two
//! jobs.

use std::collections::HashMap;

use crawler_config::Settings;
use crawler_core::{AsyncOptions, Callback, EventKind, JobKind, JobSpec, Scope};
use serde_json::Value;

use super::request::AsyncRequest;
use crate::error::ApiError;
use crate::validate::{api_params, callback, endpoint, fields, Rules, MAX_TIMEOUT_SEC};

/// The profile of an async job's callbacks (crates/dispatcher/src/profiles/).
pub const CALLBACK_PROFILE: &str = "scraperapi_async";

/// Fetch options ScraperAPI offers that this crawler cannot honour yet.
const UNSUPPORTED_OPTIONS: [&str; 3] = ["premium", "ultra_premium", "autoparse"];

/// The limits of async jobs, from the settings.
#[derive(Debug, Clone)]
pub struct AsyncRules {
    pub default_timeout_sec: u64,
    pub max_urls: usize,
    pub callback_attempts: u32,
    /// `{public base}/v1/jobs`: where items' statuses are read.
    pub status_url_base: String,
}

impl AsyncRules {
    pub fn new(settings: &Settings, public_base_url: &str) -> Self {
        AsyncRules {
            default_timeout_sec: settings.async_timeout_sec,
            max_urls: settings.batch_max_urls,
            callback_attempts: settings.async_callback_attempts,
            status_url_base: format!("{public_base_url}/v1/jobs"),
        }
    }
}

/// The spec of `POST /v1/jobs`: one URL.
pub fn fetch_spec(
    request: &AsyncRequest,
    rules: &Rules,
    limits: &AsyncRules,
) -> Result<JobSpec, ApiError> {
    let value = request
        .url
        .as_ref()
        .ok_or_else(|| ApiError::bad_request("url", "url is required"))?;
    let url = one_url("url", value)?;
    async_spec(request, rules, limits, JobKind::Fetch, url, Vec::new())
}

/// The spec of `POST /v1/batchjobs`: 1 to `max_urls` distinct URLs.
pub fn batch_spec(
    request: &AsyncRequest,
    rules: &Rules,
    limits: &AsyncRules,
) -> Result<JobSpec, ApiError> {
    let urls = url_list(request.urls.as_ref(), limits.max_urls)?;
    let first = urls[0].clone();
    async_spec(request, rules, limits, JobKind::Batch, first, urls)
}

fn async_spec(
    request: &AsyncRequest,
    rules: &Rules,
    limits: &AsyncRules,
    kind: JobKind,
    start_url: String,
    urls: Vec<String>,
) -> Result<JobSpec, ApiError> {
    let (method, body) = method_and_body(request)?;
    let mut params = fetch_options(request.api_params.as_ref(), rules)?;
    if let Some(value) = &request.headers {
        params.headers = fields::header_map("headers", value, reserved_request_header)?;
        params.keep_headers = true;
    }
    let callback = request
        .callback
        .as_ref()
        .map(|value| async_callback(value, limits.callback_attempts))
        .transpose()?;
    let webhook_name = match (&request.webhook_name, &callback) {
        (None, _) => None,
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_request(
                "webhook_name",
                "give either callback or webhook_name, not both",
            ))
        }
        (Some(value), None) => Some(endpoint::endpoint_name("webhook_name", value)?),
    };
    Ok(JobSpec {
        kind,
        start_url,
        urls,
        url_regexp_include: ".*".to_string(),
        url_regexp_exclude: None,
        max_depth: Some(0),
        crawl_budget: None,
        api_params: params,
        callback,
        meta: request.meta.clone().unwrap_or(Value::Null),
        timeout_sec: timeout_sec(request.timeout_sec.as_ref(), limits.default_timeout_sec)?,
        scope: Scope::Host,
        follow_nofollow: false,
        ignore_query_parameters: false,
        max_pages_per_host: None,
        respect_robots_txt: true,
        name: None,
        custom_id: None,
        webhook_name,
        // The caller's tenant is the submitter's to set (`handlers::async_jobs`).
        tenant: Default::default(),
        async_job: Some(AsyncOptions {
            expect_unsuccess_report: expect_unsuccess_report(request)?,
            method,
            body,
            status_url_base: limits.status_url_base.clone(),
        }),
    })
}

/// An absolute http(s) URL, normalised the way every fetched URL is.
fn one_url(field: &str, value: &Value) -> Result<String, ApiError> {
    let text = fields::string(field, value)?;
    crawler_core::urlnorm::normalize(text)
        .map(|url| url.to_string())
        .map_err(|e| ApiError::bad_request(field, format!("{field}: {e}")))
}

fn url_list(value: Option<&Value>, max: usize) -> Result<Vec<String>, ApiError> {
    let field = "urls";
    let items = value
        .ok_or_else(|| ApiError::bad_request(field, "urls is required"))?
        .as_array()
        .ok_or_else(|| ApiError::bad_request(field, "urls must be an array of URLs"))?;
    if items.is_empty() {
        return Err(ApiError::bad_request(
            field,
            "urls must hold at least one URL",
        ));
    }
    if items.len() > max {
        return Err(ApiError::bad_request(
            field,
            format!(
                "urls holds {} URLs; a batch takes at most {max}",
                items.len()
            ),
        ));
    }
    let mut first_index: HashMap<String, usize> = HashMap::with_capacity(items.len());
    let mut urls = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let field = format!("urls[{index}]");
        let url = one_url(&field, item)?;
        if let Some(earlier) = first_index.insert(url.clone(), index) {
            return Err(ApiError::bad_request(
                &field,
                format!(
                    "{field} is the same URL as urls[{earlier}]; a batch fetches each URL once"
                ),
            ));
        }
        urls.push(url);
    }
    Ok(urls)
}

/// `method` (`GET` unless said) and `body`, which only `POST` and `PUT` may carry.
fn method_and_body(request: &AsyncRequest) -> Result<(String, Option<String>), ApiError> {
    let method = match &request.method {
        Some(value) => fields::string("method", value)?.to_ascii_uppercase(),
        None => "GET".to_string(),
    };
    if !matches!(method.as_str(), "GET" | "POST" | "PUT") {
        return Err(ApiError::bad_request(
            "method",
            format!("method must be GET, POST or PUT, not {method}"),
        ));
    }
    let body = match &request.body {
        None => None,
        Some(Value::String(text)) => Some(text.clone()),
        // A JSON body given as JSON is sent as its text.
        Some(other) => Some(other.to_string()),
    };
    if body.is_some() && method == "GET" {
        return Err(ApiError::bad_request(
            "body",
            "a body is sent only with method POST or PUT",
        ));
    }
    Ok((method, body))
}

/// `apiParams`: the fetch options of a crawl's `api_params`, errors named `apiParams.*`.
fn fetch_options(
    value: Option<&Value>,
    rules: &Rules,
) -> Result<crawler_core::ApiParams, ApiError> {
    let empty = Value::Object(Default::default());
    let value = value.unwrap_or(&empty);
    if let Some(object) = value.as_object() {
        for option in UNSUPPORTED_OPTIONS {
            if object.get(option).is_some_and(fields::truthy) {
                return Err(ApiError::bad_request(
                    &format!("apiParams.{option}"),
                    format!("{option} is not supported yet"),
                ));
            }
        }
    }
    api_params::api_params(value, &rules.proxy_countries).map_err(|mut error| {
        error.field = error
            .field
            .map(|field| field.replacen("api_params", "apiParams", 1));
        error.message = error.message.replacen("api_params", "apiParams", 1);
        error
    })
}

/// `callback` as a crawl's is validated, then made an async job's: its page events only,
/// shaped as status objects, tried `attempts` times.
fn async_callback(value: &Value, attempts: u32) -> Result<Callback, ApiError> {
    let mut callback = callback::callback(value, CALLBACK_PROFILE)?;
    callback.events = vec![EventKind::Page];
    callback.profile = CALLBACK_PROFILE.to_string();
    callback.attempts = Some(attempts);
    Ok(callback)
}

fn expect_unsuccess_report(request: &AsyncRequest) -> Result<bool, ApiError> {
    match (
        &request.expect_unsuccess_report,
        &request.expects_unsuccess_report,
    ) {
        (Some(value), _) => fields::flag("expectUnsuccessReport", value),
        (None, Some(value)) => fields::flag("expectsUnsuccessReport", value),
        (None, None) => Ok(false),
    }
}

/// `timeoutSec`: whole seconds, as a number or a numeric string, at least 1.
fn timeout_sec(value: Option<&Value>, default: u64) -> Result<u64, ApiError> {
    let field = "timeoutSec";
    let Some(value) = value else {
        return Ok(default);
    };
    let parsed = match value {
        Value::String(text) => text.trim().parse::<u64>().ok(),
        other => other.as_u64(),
    };
    let seconds = parsed.ok_or_else(|| {
        ApiError::bad_request(field, "timeoutSec must be a whole number of seconds")
    })?;
    if !(1..=MAX_TIMEOUT_SEC).contains(&seconds) {
        return Err(ApiError::bad_request(
            field,
            format!("timeoutSec must be between 1 and {MAX_TIMEOUT_SEC}"),
        ));
    }
    Ok(seconds)
}

fn reserved_request_header(name: &str) -> bool {
    matches!(
        name,
        "host" | "content-length" | "transfer-encoding" | "connection"
    )
}

#[cfg(test)]
#[path = "tests/validate.rs"]
mod tests;
