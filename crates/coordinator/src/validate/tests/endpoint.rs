//! The named endpoint body, and a job's `webhook_name`.

use super::*;
use crate::validate::endpoint::{endpoint_fields, EndpointFields};

fn read(body: Value) -> Result<EndpointFields, ApiError> {
    endpoint_fields(&body)
}

fn refused(body: Value) -> (String, String) {
    let error = read(body.clone()).expect_err(&body.to_string());
    assert_eq!(error.status, StatusCode::BAD_REQUEST, "{body}");
    (error.field.unwrap_or_default(), error.message)
}

#[test]
fn a_full_body_is_read_field_by_field() {
    let fields = read(json!({
        "name": "orders.v2", "url": "https://hooks.example/in", "profile": "scrapfly",
        "events": ["crawl.finished"], "headers": {"X-Token": "t"},
        "retry_schedule": ["500ms", 2000, "1m"], "timeout_ms": 1500,
        "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "content_type": "json", "content_encoding": "identity",
    }))
    .unwrap();
    assert_eq!(fields.name.as_deref(), Some("orders.v2"));
    assert_eq!(fields.url.as_deref(), Some("https://hooks.example/in"));
    assert_eq!(fields.profile.as_deref(), Some("scrapfly"));
    assert_eq!(fields.events, Some(vec![crawler_core::EventKind::Summary]));
    assert_eq!(fields.headers.unwrap()["x-token"], "t");
    assert_eq!(
        fields.retry_schedule_ms,
        Some(Some(vec![500, 2000, 60_000]))
    );
    assert_eq!(fields.timeout_ms, Some(Some(1500)));
    assert_eq!(
        fields.content_type,
        Some(Some(crawler_core::ContentType::Json))
    );
}

#[test]
fn an_endpoint_takes_the_encodings_its_profile_can_write() {
    let fields = read(json!({"content_type": "msgpack", "content_encoding": "gzip"})).unwrap();
    assert_eq!(
        fields.content_type,
        Some(Some(crawler_core::ContentType::Msgpack))
    );
    assert_eq!(
        fields.content_encoding,
        Some(Some(crawler_core::ContentEncoding::Gzip))
    );
    let reset = read(json!({"content_type": null})).unwrap();
    assert_eq!(
        reset.content_type,
        Some(None),
        "null puts the profile's back"
    );
}

#[test]
fn absent_fields_stay_unset_and_null_resets_the_defaults() {
    let fields = read(json!({"retry_schedule": null, "timeout_ms": null})).unwrap();
    assert_eq!(fields.name, None);
    assert_eq!(fields.retry_schedule_ms, Some(None));
    assert_eq!(fields.timeout_ms, Some(None));
    let fields = read(json!({"retry_schedule": "30s, 1m"})).unwrap();
    assert_eq!(fields.retry_schedule_ms, Some(Some(vec![30_000, 60_000])));
    assert_eq!(read(json!({})).unwrap(), EndpointFields::default());
}

#[test]
fn each_bad_field_is_named() {
    for (body, field, words) in [
        (json!({"name": "a b"}), "name", "letters"),
        (json!({"name": "x".repeat(65)}), "name", "64"),
        (json!({"url": "ftp://x"}), "url", "http"),
        (json!({"profile": "nope"}), "profile", "standard, scrapfly"),
        (json!({"events": ["crawl.nothing"]}), "events", "crawl.page"),
        (
            json!({"headers": {"webhook-id": "x"}}),
            "headers",
            "cannot be set",
        ),
        (json!({"secret": "plain"}), "secret", "whsec_"),
        (json!({"retry_schedule": ["5"]}), "retry_schedule", "unit"),
        (
            json!({"retry_schedule": ["8d"]}),
            "retry_schedule",
            "7 days",
        ),
        (
            json!({"retry_schedule": vec!["1s"; 21]}),
            "retry_schedule",
            "20",
        ),
        (json!({"timeout_ms": 0}), "timeout_ms", "at least 1"),
        (json!({"timeout_ms": 300_001}), "timeout_ms", ""),
        (
            json!({"content_type": "xml"}),
            "content_type",
            "json, msgpack, form",
        ),
        // A form writes only flat bodies: the standard profile's events are not.
        (json!({"content_type": "form"}), "content_type", "standard"),
        (
            json!({"content_encoding": "br"}),
            "content_encoding",
            "identity",
        ),
    ] {
        let (named, message) = refused(body.clone());
        assert_eq!(named, field, "{body}: {message}");
        assert!(message.contains(words), "{body}: {message}");
    }
    assert_eq!(refused(json!([1])).0, "body");
}

#[test]
fn a_job_names_a_webhook_or_has_a_callback_not_both() {
    let spec = accept(json!({"webhook_name": "orders"}));
    assert_eq!(spec.webhook_name.as_deref(), Some("orders"));
    assert!(spec.callback.is_none());
    assert_bad(
        json!({"webhook_name": "no spaces"}),
        "webhook_name",
        "letters",
    );
    assert_bad(
        json!({"webhook_name": "orders", "callback": {"type": "webhook", "url": "https://h.example/"}}),
        "webhook_name",
        "not both",
    );
}
