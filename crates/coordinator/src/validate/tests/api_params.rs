//! The `api_params` object.

use serde_json::json;

use super::*;

#[test]
fn api_params_are_checked_and_unknown_ones_kept() {
    let spec = accept(json!({"api_params": {
        "output_format": "markdown", "device_type": "mobile", "country_code": "US",
        "follow_redirect": false, "retry_404": true, "keep_headers": true,
        "headers": {"X-Trace": "1"}, "render": false, "premium": true,
    }}));
    let params = spec.api_params;
    assert_eq!(params.output_format.as_deref(), Some("markdown"));
    assert_eq!(params.device_type.as_deref(), Some("mobile"));
    assert_eq!(params.country_code.as_deref(), Some("us"));
    assert!(!params.follow_redirect && params.retry_404 && params.keep_headers);
    assert_eq!(params.headers.get("x-trace").map(String::as_str), Some("1"));
    assert_eq!(params.extra.get("premium"), Some(&json!(true)));

    assert_bad(json!({"api_params": "render=true"}), "api_params", "object");
    assert_bad(
        json!({"api_params": {"render": true}}),
        "api_params.render",
        "rendering is not supported yet",
    );
    assert_bad(
        json!({"api_params": {"screenshot": "true"}}),
        "api_params.screenshot",
        "rendering is not supported yet",
    );
    assert_bad(
        json!({"api_params": {"wait_for_selector": "#main"}}),
        "api_params.wait_for_selector",
        "rendering",
    );
    assert_bad(
        json!({"api_params": {"country_code": "de"}}),
        "api_params.country_code",
        "`de`",
    );
    assert_bad(
        json!({"api_params": {"output_format": "json"}}),
        "api_params.output_format",
        "html, text, markdown",
    );
    assert_bad(
        json!({"api_params": {"device_type": "tablet"}}),
        "api_params.device_type",
        "desktop, mobile",
    );
    assert_bad(
        json!({"api_params": {"follow_redirect": "no"}}),
        "api_params.follow_redirect",
        "true or false",
    );
    assert_bad(
        json!({"api_params": {"headers": {"Host": "evil"}}}),
        "api_params.headers",
        "cannot be set",
    );
}
