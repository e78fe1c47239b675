//! `meta`: kept as given, refused when too deep or too large, on every route that takes it.

use crawler_config::Settings;

use super::*;
use crate::async_jobs::{batch_spec, fetch_spec, AsyncRequest, AsyncRules};
use crate::validate::schedule::job_and_schedule;

/// `{"a": {"a": ... 1}}`, `levels` objects deep.
fn nested(levels: usize) -> Value {
    (0..levels).fold(json!(1), |inner, _| json!({ "a": inner }))
}

fn assert_meta_refused(result: Result<JobSpec, ApiError>, words: &str) {
    let error = result.expect_err("refused");
    assert_eq!(error.status, StatusCode::BAD_REQUEST, "{error:?}");
    assert_eq!(error.field.as_deref(), Some("meta"), "{error:?}");
    assert!(error.message.contains(words), "{error:?}");
}

#[test]
fn meta_at_the_limits_is_kept_as_given() {
    let deep = nested(MAX_META_DEPTH);
    assert_eq!(accept(json!({ "meta": deep.clone() })).meta, deep);
    // Compact JSON `"xxx…"` is the text plus its two quotes.
    let large = json!("x".repeat(MAX_META_BYTES - 2));
    assert_eq!(accept(json!({ "meta": large.clone() })).meta, large);
    assert_eq!(accept(json!({ "meta": 7 })).meta, json!(7));
}

#[test]
fn meta_nested_deeper_than_the_limit_is_refused_naming_the_limit() {
    assert_bad(
        json!({ "meta": nested(MAX_META_DEPTH + 1) }),
        "meta",
        "32 levels",
    );
    // Arrays count as objects do.
    let arrays = (0..40).fold(json!([]), |inner, _| json!([inner]));
    assert_bad(json!({ "meta": arrays }), "meta", "32 levels");
    // The depth that used to pass submission and then fail to decode in the worker.
    assert_bad(json!({ "meta": nested(126) }), "meta", "32 levels");
}

#[test]
fn meta_larger_than_the_limit_is_refused_naming_the_limit() {
    let large = json!("x".repeat(MAX_META_BYTES - 1));
    assert_bad(json!({ "meta": large }), "meta", "at most 65536");
    let wide = json!({ "k": vec!["0123456789"; 6_000] });
    assert_bad(json!({ "meta": wide }), "meta", "at most 65536");
}

#[test]
fn scheduled_crawls_are_refused_a_deep_meta_too() {
    let req = request(json!({
        "meta": nested(40),
        "schedule": {"name": "docs", "interval": "daily"},
    }));
    let result =
        job_and_schedule(&req, &rules(), Plan::Paid, 1_700_000_000_000).map(|(spec, _)| spec);
    assert_meta_refused(result, "32 levels");
}

#[test]
fn async_jobs_and_batches_are_refused_a_deep_or_large_meta() {
    let settings = Settings::defaults();
    let (rules, limits) = (
        Rules::from_settings(&settings),
        AsyncRules::new(&settings, "http://api.test"),
    );
    let async_request = |body: Value| -> AsyncRequest { serde_json::from_value(body).unwrap() };

    let deep = async_request(json!({"url": "https://a.test/", "meta": nested(33)}));
    assert_meta_refused(fetch_spec(&deep, &rules, &limits), "32 levels");
    let large = json!("y".repeat(MAX_META_BYTES));
    let batch = async_request(json!({"urls": ["https://a.test/"], "meta": large}));
    assert_meta_refused(batch_spec(&batch, &rules, &limits), "at most 65536");

    let fine = async_request(json!({"urls": ["https://a.test/"], "meta": nested(32)}));
    assert_eq!(batch_spec(&fine, &rules, &limits).unwrap().meta, nested(32));
}
