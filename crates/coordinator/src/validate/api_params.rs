//! The `api_params` object: fetch options, named as ScraperAPI names them.

use std::collections::BTreeSet;

use crawler_core::ApiParams;
use serde_json::{Map, Value};

use super::{fields, strict};
use crate::error::ApiError;

/// Options that need a browser, which this crawler does not run yet.
const RENDERING_OPTIONS: [&str; 3] = ["render", "screenshot", "wait_for_selector"];
const OUTPUT_FORMATS: [&str; 3] = ["html", "text", "markdown"];
const DEVICE_TYPES: [&str; 2] = ["desktop", "mobile"];
/// The options read here.
const OPTIONS: [&str; 7] = [
    "follow_redirect",
    "retry_404",
    "keep_headers",
    "headers",
    "output_format",
    "device_type",
    "country_code",
];
/// ScraperAPI's other documented parameters: known, so a client written for it is not
/// refused, and kept as sent in `extra`. Anything else is a 400 naming it.
const SCRAPERAPI_PASSTHROUGH: [&str; 6] = [
    "premium",
    "ultra_premium",
    "session_number",
    "autoparse",
    "binary_target",
    "max_cost",
];

/// Headers the fetcher manages itself; sending a user's copy would corrupt the request.
fn reserved_request_header(name: &str) -> bool {
    matches!(
        name,
        "host" | "content-length" | "transfer-encoding" | "connection"
    )
}

/// Validates `api_params`. `proxy_countries` holds the (lower-case) country codes an
/// outbound proxy is configured for. ScraperAPI's parameters this crawler does not read
/// are kept as sent; any other key is refused.
pub fn api_params(
    value: &Value,
    proxy_countries: &BTreeSet<String>,
) -> Result<ApiParams, ApiError> {
    let object = value
        .as_object()
        .ok_or_else(|| ApiError::bad_request("api_params", "api_params must be an object"))?;
    let known: Vec<&str> = [&OPTIONS[..], &RENDERING_OPTIONS, &SCRAPERAPI_PASSTHROUGH].concat();
    strict::known_keys("api_params", object, &known)?;
    let mut rest: Map<String, Value> = object.clone();
    let mut take = |key: &str| rest.remove(key).filter(|v| !v.is_null());
    let field = |key: &str| format!("api_params.{key}");

    for option in RENDERING_OPTIONS {
        if object.get(option).is_some_and(fields::truthy) {
            return Err(ApiError::bad_request(
                &field(option),
                format!("{option}: rendering is not supported yet"),
            ));
        }
    }

    let mut params = ApiParams {
        follow_redirect: true,
        ..ApiParams::default()
    };
    if let Some(v) = take("follow_redirect") {
        params.follow_redirect = fields::flag(&field("follow_redirect"), &v)?;
    }
    if let Some(v) = take("retry_404") {
        params.retry_404 = fields::flag(&field("retry_404"), &v)?;
    }
    if let Some(v) = take("keep_headers") {
        params.keep_headers = fields::flag(&field("keep_headers"), &v)?;
    }
    if let Some(v) = take("headers") {
        params.headers = fields::header_map(&field("headers"), &v, reserved_request_header)?;
    }
    if let Some(v) = take("output_format") {
        let format = fields::one_of(&field("output_format"), &v, &OUTPUT_FORMATS)?;
        params.output_format = Some(format.to_string());
    }
    if let Some(v) = take("device_type") {
        let device = fields::one_of(&field("device_type"), &v, &DEVICE_TYPES)?;
        params.device_type = Some(device.to_string());
    }
    if let Some(v) = take("country_code") {
        let key = field("country_code");
        let code = fields::string(&key, &v)?.to_ascii_lowercase();
        if !proxy_countries.contains(&code) {
            return Err(ApiError::bad_request(
                &key,
                format!("no outbound proxy is configured for country `{code}`"),
            ));
        }
        params.country_code = Some(code);
    }
    params.extra = rest;
    Ok(params)
}
