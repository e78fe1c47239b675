//! Strict input: every body refuses a field it does not know, naming it with its path,
//! and keeps every documented alias.

use super::*;
use crate::async_jobs::AsyncRequest;
use crate::validate::{endpoint, schedule, strict};

/// The 400 a crawl body gets, at parse or at validation.
fn crawl_refusal(body: Value) -> ApiError {
    match CrawlRequest::parse(body.to_string().as_bytes()) {
        Err(e) => strict::unknown_field(&e).expect("an unknown-field error"),
        Ok(request) => schedule::job_and_schedule(&request, &rules(), Plan::Paid, 0)
            .expect_err(&body.to_string()),
    }
}

fn assert_unknown(error: ApiError, path: &str) {
    assert_eq!(error.status, StatusCode::BAD_REQUEST, "{error:?}");
    assert_eq!(error.field.as_deref(), Some(path), "{error:?}");
    assert_eq!(error.message, format!("unknown field \"{path}\""));
}

fn base(changes: Value) -> Value {
    let mut body = json!({"start_url": "https://a.test/", "max_depth": 1});
    for (key, value) in changes.as_object().unwrap() {
        body[key] = value.clone();
    }
    body
}

#[test]
fn a_misspelled_crawl_field_is_named() {
    assert_unknown(crawl_refusal(base(json!({"max_dept": 2}))), "max_dept");
    assert_unknown(crawl_refusal(base(json!({"startUrl": "x"}))), "startUrl");
}

#[test]
fn misspelled_nested_crawl_fields_are_named_with_their_path() {
    let hook = |extra: Value| {
        let mut callback = json!({"type": "webhook", "url": "https://hooks.test/in"});
        callback
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        callback
    };
    let cases = [
        (
            json!({"callback": hook(json!({"evnts": []}))}),
            "callback.evnts",
        ),
        (
            json!({"webhook": {"url": "https://hooks.test/in", "evnts": []}}),
            "webhook.evnts",
        ),
        (
            json!({"api_params": {"outputformat": "text"}}),
            "api_params.outputformat",
        ),
        (
            json!({"schedule": {"name": "n", "interval": "daily", "tz": "UTC"}}),
            "schedule.tz",
        ),
        // A key field is known in a body, not inside one of its objects.
        (
            json!({"api_params": {"api_key": "k"}}),
            "api_params.api_key",
        ),
    ];
    for (changes, path) in cases {
        assert_unknown(crawl_refusal(base(changes)), path);
    }
}

#[test]
fn every_documented_crawl_field_and_alias_is_accepted() {
    let body = base(json!({
        "url_regexp_include": ".*", "url_regexp_exclude": "x", "crawl_budget": 10,
        "api_params": {
            "follow_redirect": true, "retry_404": false, "keep_headers": true,
            "headers": {"X-Any-Name": "free-form"}, "output_format": "text",
            "device_type": "mobile", "country_code": "us", "render": false,
            "screenshot": false, "wait_for_selector": null,
            "premium": false, "ultra_premium": false, "session_number": 7,
            "autoparse": false, "binary_target": false, "max_cost": 5,
        },
        "callback": {
            "type": "webhook", "url": "https://hooks.test/in", "events": ["crawl.page"],
            "headers": {"X-Free-Form": "1"}, "payload": "thin", "profile": "standard",
            "content_type": "json", "content_encoding": "gzip",
            "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        },
        "name": "n", "custom_id": 7, "meta": {"anything": {"goes": true}},
        "timeout_sec": 60, "scope": "host", "follow_nofollow": false,
        "ignore_query_parameters": false, "respect_robots_txt": true,
        "max_pages_per_host": 3, "api_key": "k", "apiKey": "k",
        "schedule": {"name": "n", "cron": "0 * * * *", "timezone": "UTC", "enabled": true},
        "enabled": true,
    }));
    let request = CrawlRequest::parse(body.to_string().as_bytes()).expect("known fields");
    schedule::job_and_schedule(&request, &rules(), Plan::Paid, 0).expect("valid");

    let hasdata = base(json!({
        "webhook": {"url": "https://hooks.test/in", "events": ["crawl.page"], "headers": {}},
    }));
    let request = CrawlRequest::parse(hasdata.to_string().as_bytes()).expect("known");
    job_spec(&request, &rules(), Plan::Paid).expect("valid");
    let named = base(json!({"webhook_name": "orders"}));
    CrawlRequest::parse(named.to_string().as_bytes()).expect("known");
}

#[test]
fn async_bodies_refuse_unknown_fields_and_keep_scraperapi_spellings() {
    let parse = |body: Value| AsyncRequest::parse(body.to_string().as_bytes());
    let error = parse(json!({"url": "https://a.test/", "callbak": {}})).unwrap_err();
    assert_unknown(strict::unknown_field(&error).unwrap(), "callbak");
    // The crawl API's snake_case is not the Async API's: `timeout_sec` is unknown here.
    let error = parse(json!({"urls": [], "timeout_sec": 5})).unwrap_err();
    assert_unknown(strict::unknown_field(&error).unwrap(), "timeout_sec");

    for known in [
        json!({"url": "u", "method": "GET", "body": "b", "headers": {"X-A": "1"}, "meta": 1}),
        json!({"urls": ["u"], "expectUnsuccessReport": true, "timeoutSec": 5}),
        json!({"url": "u", "expectsUnsuccessReport": true, "apiParams": {}}),
        json!({"url": "u", "webhook_name": "w"}),
        json!({"url": "u", "webhookName": "w", "apiKey": "k"}),
        json!({"url": "u", "api_key": "k", "callback": {"type": "webhook", "url": "x"}}),
    ] {
        let request = parse(known.clone()).unwrap_or_else(|e| panic!("{known}: {e}"));
        if known.get("apiKey").is_some() || known.get("api_key").is_some() {
            assert_eq!(request.body_api_key(), Some("k"), "{known}");
        }
    }
}

#[test]
fn endpoint_bodies_refuse_unknown_fields() {
    let error = endpoint::endpoint_fields(&json!({"url": "https://h.test/", "evnts": []}))
        .expect_err("unknown");
    assert_unknown(error, "evnts");
    let error = endpoint::endpoint_fields(&json!({"headers": {"X-Ok": "1"}, "timeout": 5}))
        .expect_err("unknown");
    assert_unknown(error, "timeout");
    endpoint::endpoint_fields(&json!({
        "name": "n", "url": "https://h.test/", "profile": "standard", "events": ["crawl.page"],
        "headers": {"X-Free": "1"}, "retry_schedule": null, "timeout_ms": null,
        "content_type": null, "content_encoding": null, "api_key": "k", "apiKey": "k",
        "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    }))
    .expect("every documented field");
}

#[test]
fn schedule_patches_refuse_unknown_fields() {
    assert_unknown(
        schedule::change(&json!({"enabled": false, "intreval": "daily"}), 0).unwrap_err(),
        "intreval",
    );
    schedule::change(
        &json!({"name": "n", "enabled": true, "cron": "@daily", "timezone": "UTC", "api_key": "k"}),
        0,
    )
    .expect("every documented field");
}
