use crawler_config::Settings;
use crawler_core::{EventKind, JobKind};
use serde_json::{json, Value};

use super::*;

fn limits() -> (Rules, AsyncRules) {
    let settings = Settings::defaults();
    (
        Rules::from_settings(&settings),
        AsyncRules::new(&settings, "http://api.test"),
    )
}

fn request(body: Value) -> AsyncRequest {
    serde_json::from_value(body).expect("a request")
}

fn refused_field(result: Result<JobSpec, ApiError>) -> String {
    let error = result.expect_err("refused");
    assert_eq!(error.status.as_u16(), 400, "{error:?}");
    error.field.unwrap_or_default()
}

#[test]
fn a_fetch_job_is_one_url_with_scraperapi_s_options() {
    let (rules, limits) = limits();
    let spec = fetch_spec(
        &request(json!({
            "url": "HTTP://Example.com:80/a#frag",
            "method": "post",
            "body": {"q": 1},
            "headers": {"X-Token": "t"},
            "expectsUnsuccessReport": "true",
            "timeoutSec": "30",
            "meta": {"mine": [1, 2]},
            "apiParams": {"output_format": "markdown", "retry_404": true},
            "callback": {"type": "webhook", "url": "https://hooks.test/in"},
        })),
        &rules,
        &limits,
    )
    .expect("accepted");
    assert_eq!(spec.kind, JobKind::Fetch);
    assert_eq!(spec.start_url, "http://example.com/a");
    assert_eq!(spec.seed_urls(), vec!["http://example.com/a"]);
    assert_eq!(spec.timeout_sec, 30);
    assert_eq!(spec.meta, json!({"mine": [1, 2]}));
    assert_eq!(spec.max_depth, Some(0));
    assert!(spec.api_params.retry_404 && spec.api_params.keep_headers);
    assert_eq!(spec.api_params.headers["x-token"], "t");
    let options = spec.async_job.expect("async options");
    assert_eq!(options.method, "POST");
    assert_eq!(options.body.as_deref(), Some(r#"{"q":1}"#));
    assert!(options.expect_unsuccess_report);
    assert_eq!(options.status_url_base, "http://api.test/v1/jobs");
    let callback = spec.callback.expect("callback");
    assert_eq!(callback.events, vec![EventKind::Page]);
    assert_eq!(callback.profile, CALLBACK_PROFILE);
    assert_eq!(callback.attempts, Some(3));
}

#[test]
fn defaults_are_get_no_failure_report_and_the_configured_timeout() {
    let (rules, limits) = limits();
    let spec = fetch_spec(&request(json!({"url": "https://a.test/"})), &rules, &limits).unwrap();
    let options = spec.async_job.unwrap();
    assert_eq!(options.method, "GET");
    assert!(!options.expect_unsuccess_report && options.body.is_none());
    assert_eq!(spec.timeout_sec, Settings::defaults().async_timeout_sec);
    assert!(spec.callback.is_none());
}

#[test]
fn bad_fields_are_named() {
    let (rules, limits) = limits();
    let cases = [
        (json!({}), "url"),
        (json!({"url": "ftp://a.test/"}), "url"),
        (
            json!({"url": "https://a.test/", "method": "DELETE"}),
            "method",
        ),
        (json!({"url": "https://a.test/", "body": "x"}), "body"),
        (
            json!({"url": "https://a.test/", "timeoutSec": 0}),
            "timeoutSec",
        ),
        (
            json!({"url": "https://a.test/", "timeoutSec": "soon"}),
            "timeoutSec",
        ),
        (
            json!({"url": "https://a.test/", "expectUnsuccessReport": 3}),
            "expectUnsuccessReport",
        ),
        (
            json!({"url": "https://a.test/", "apiParams": {"render": true}}),
            "apiParams.render",
        ),
        (
            json!({"url": "https://a.test/", "apiParams": {"premium": true}}),
            "apiParams.premium",
        ),
        (
            json!({"url": "https://a.test/", "apiParams": {"ultra_premium": "true"}}),
            "apiParams.ultra_premium",
        ),
        (
            json!({"url": "https://a.test/", "apiParams": {"autoparse": true}}),
            "apiParams.autoparse",
        ),
        (
            json!({"url": "https://a.test/", "apiParams": {"output_format": "pdf"}}),
            "apiParams.output_format",
        ),
        (
            json!({"url": "https://a.test/", "callback": {"type": "webhook"}}),
            "callback.url",
        ),
    ];
    for (body, field) in cases {
        assert_eq!(
            refused_field(fetch_spec(&request(body.clone()), &rules, &limits)),
            field,
            "{body}"
        );
    }
}

#[test]
fn a_batch_keeps_its_urls_in_order_and_names_a_bad_one_by_index() {
    let (rules, limits) = limits();
    let urls: Vec<String> = (0..30).map(|i| format!("https://a.test/{i}")).collect();
    let spec = batch_spec(&request(json!({"urls": urls})), &rules, &limits).unwrap();
    assert_eq!(spec.kind, JobKind::Batch);
    assert_eq!(
        spec.seed_urls(),
        urls.iter().map(String::as_str).collect::<Vec<_>>()
    );
    assert_eq!(spec.start_url, urls[0]);

    let mut bad = urls.clone();
    bad[17] = "not a url".into();
    assert_eq!(
        refused_field(batch_spec(&request(json!({"urls": bad})), &rules, &limits)),
        "urls[17]"
    );
    let mut duplicate = urls.clone();
    duplicate[20] = "https://A.test:443/3".into();
    let error = batch_spec(&request(json!({"urls": duplicate})), &rules, &limits).unwrap_err();
    assert_eq!(error.field.as_deref(), Some("urls[20]"));
    assert!(error.message.contains("urls[3]"), "{}", error.message);
}

#[test]
fn a_batch_holds_one_to_the_configured_number_of_urls() {
    let (rules, mut limits) = limits();
    limits.max_urls = 5;
    let urls = |n: usize| json!({"urls": (0..n).map(|i| format!("https://a.test/{i}")).collect::<Vec<_>>()});
    assert!(batch_spec(&request(urls(5)), &rules, &limits).is_ok());
    assert_eq!(
        refused_field(batch_spec(&request(urls(6)), &rules, &limits)),
        "urls"
    );
    assert_eq!(
        refused_field(batch_spec(&request(urls(0)), &rules, &limits)),
        "urls"
    );
    assert_eq!(
        refused_field(batch_spec(&request(json!({})), &rules, &limits)),
        "urls"
    );
    assert_eq!(
        refused_field(batch_spec(
            &request(json!({"urls": "https://a.test/"})),
            &rules,
            &limits
        )),
        "urls"
    );
}
