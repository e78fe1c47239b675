//! The job-level fields: URL, regexes, numbers, plans, enumerations.

use crawler_core::Scope;
use serde_json::{json, Value};

use super::*;

#[test]
fn a_minimal_job_gets_normalised_url_and_defaults() {
    let spec = accept(json!({}));
    assert_eq!(spec.start_url, "https://example.com/b");
    assert_eq!(spec.url_regexp_include, ".*");
    assert_eq!(spec.url_regexp_exclude, None);
    assert_eq!(spec.max_depth, Some(1));
    assert_eq!(spec.crawl_budget, None);
    assert_eq!(spec.timeout_sec, 7200);
    assert_eq!(spec.scope, Scope::Host);
    assert!(spec.respect_robots_txt);
    assert!(!spec.follow_nofollow);
    assert!(!spec.ignore_query_parameters);
    assert!(spec.api_params.follow_redirect);
    assert!(spec.callback.is_none());
    assert_eq!(spec.meta, Value::Null);
}

#[test]
fn every_option_is_kept() {
    let spec = accept(json!({
        "url_regexp_include": "/docs/", "url_regexp_exclude": "\\.pdf$",
        "crawl_budget": 50, "meta": {"order": [1, 2]}, "timeout_sec": 60,
        "scope": "domain", "follow_nofollow": true, "ignore_query_parameters": "true",
        "respect_robots_txt": false, "max_pages_per_host": 3,
    }));
    assert_eq!(spec.url_regexp_include, "/docs/");
    assert_eq!(spec.url_regexp_exclude.as_deref(), Some("\\.pdf$"));
    assert_eq!(spec.crawl_budget, Some(50));
    assert_eq!(spec.meta, json!({"order": [1, 2]}));
    assert_eq!(spec.timeout_sec, 60);
    assert_eq!(spec.scope, Scope::Domain);
    assert!(spec.follow_nofollow && spec.ignore_query_parameters && !spec.respect_robots_txt);
    assert_eq!(spec.max_pages_per_host, Some(3));
}

#[test]
fn start_url_must_be_absolute_http() {
    assert_bad(json!({"start_url": null}), "start_url", "required");
    assert_bad(
        json!({"start_url": "/relative"}),
        "start_url",
        "not a valid URL",
    );
    assert_bad(
        json!({"start_url": "ftp://example.com/"}),
        "start_url",
        "http",
    );
    assert_bad(
        json!({"start_url": "javascript:alert(1)"}),
        "start_url",
        "http",
    );
    assert_bad(json!({"start_url": 42}), "start_url", "string");
}

#[test]
fn regexes_must_compile_and_stay_small() {
    assert_bad(
        json!({"url_regexp_include": "("}),
        "url_regexp_include",
        "not a valid regex",
    );
    assert_bad(
        json!({"url_regexp_exclude": "[z-a]"}),
        "url_regexp_exclude",
        "not a valid regex",
    );
    assert_bad(
        json!({"url_regexp_include": "a".repeat(65)}),
        "url_regexp_include",
        "longer than 64",
    );
    // Short to write, huge once compiled.
    assert_bad(
        json!({"url_regexp_include": "\\w{500}{500}"}),
        "url_regexp_include",
        "size limit",
    );
    assert_bad(
        json!({"url_regexp_exclude": ["x"]}),
        "url_regexp_exclude",
        "string",
    );
}

#[test]
fn depth_or_budget_is_required() {
    assert_bad(json!({"max_depth": null}), "max_depth", "at least one of");
    let spec = accept(json!({"max_depth": null, "crawl_budget": 2}));
    assert_eq!((spec.max_depth, spec.crawl_budget), (None, Some(2)));
}

#[test]
fn numbers_must_be_sane_non_negative_integers() {
    for bad in [json!(-1), json!(1.5), json!("3"), json!(1e300), json!(true)] {
        assert_bad(
            json!({"max_depth": bad.clone()}),
            "max_depth",
            "non-negative integer",
        );
        assert_bad(
            json!({"crawl_budget": bad.clone()}),
            "crawl_budget",
            "non-negative integer",
        );
        assert_bad(
            json!({"timeout_sec": bad.clone()}),
            "timeout_sec",
            "non-negative integer",
        );
        assert_bad(
            json!({"max_pages_per_host": bad}),
            "max_pages_per_host",
            "non-negative integer",
        );
    }
    // Beyond u64: serde_json reads it as a float.
    let raw = br#"{"start_url": "http://a.com/", "max_depth": 99999999999999999999}"#;
    let error = job_spec(&CrawlRequest::parse(raw).unwrap(), &rules(), Plan::Paid).unwrap_err();
    assert_eq!(error.field.as_deref(), Some("max_depth"));
    assert_bad(json!({"max_depth": 11}), "max_depth", "at most 10");
    assert_bad(
        json!({"crawl_budget": 1001}),
        "crawl_budget",
        "at most 1000",
    );
    assert_bad(json!({"timeout_sec": 0}), "timeout_sec", "at least 1");
    assert_bad(
        json!({"timeout_sec": MAX_TIMEOUT_SEC + 1}),
        "timeout_sec",
        "at most",
    );
    assert_bad(
        json!({"max_pages_per_host": 0}),
        "max_pages_per_host",
        "at least 1",
    );
    assert_eq!(accept(json!({"max_depth": 0})).max_depth, Some(0));
}

#[test]
fn a_budget_below_one_page_would_fail_to_start() {
    assert_bad(
        json!({"crawl_budget": 1}),
        "crawl_budget",
        "the job would fail to start",
    );
    assert_bad(
        json!({"crawl_budget": 0}),
        "crawl_budget",
        "the job would fail to start",
    );
    assert_eq!(accept(json!({"crawl_budget": 2})).crawl_budget, Some(2));
}

#[test]
fn free_plan_is_limited_to_depth_one_and_no_schedule() {
    let error = refuse_as(Plan::Free, json!({"max_depth": 2}));
    assert_eq!(
        (error.status, error.field.as_deref()),
        (StatusCode::FORBIDDEN, Some("max_depth"))
    );
    let error = refuse_as(Plan::Free, json!({"schedule": {"cron": "0 * * * *"}}));
    assert_eq!(
        (error.status, error.field.as_deref()),
        (StatusCode::FORBIDDEN, Some("schedule"))
    );
    assert!(job_spec(&request(json!({"max_depth": 1})), &rules(), Plan::Free).is_ok());
    // Only the routes that take a schedule accept one; they validate it on their own.
    assert_bad(
        json!({"schedule": {"name": "n", "interval": "daily"}}),
        "schedule",
        "accepted by POST /v1/crawls",
    );
}

#[test]
fn enumerations_and_flags_are_checked() {
    assert_bad(json!({"scope": "galaxy"}), "scope", "host, domain, any");
    assert_eq!(accept(json!({"scope": "any"})).scope, Scope::Any);
    assert_bad(
        json!({"follow_nofollow": "yes"}),
        "follow_nofollow",
        "true or false",
    );
    assert_bad(
        json!({"respect_robots_txt": 1}),
        "respect_robots_txt",
        "true or false",
    );
    assert_bad(
        json!({"ignore_query_parameters": []}),
        "ignore_query_parameters",
        "true or false",
    );
}

#[test]
fn the_body_key_is_found_under_either_spelling() {
    assert_eq!(request(json!({"api_key": "k1"})).body_api_key(), Some("k1"));
    assert_eq!(request(json!({"apiKey": "k2"})).body_api_key(), Some("k2"));
    assert_eq!(request(json!({})).body_api_key(), None);
}
