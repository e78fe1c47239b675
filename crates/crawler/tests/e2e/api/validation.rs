//! Refused jobs: each gets its 4xx naming the field, and leaves nothing queued or stored.

use super::*;

/// Changes to a valid job that a paid key gets a 400 for, with the field it must name.
fn bad_requests() -> Vec<(Value, &'static str)> {
    let long = "a".repeat(5000);
    vec![
        (json!({"start_url": null}), "start_url"),
        (json!({"start_url": "ftp://127.0.0.1/"}), "start_url"),
        (json!({"start_url": "not a url"}), "start_url"),
        (
            json!({"url_regexp_include": "(unclosed"}),
            "url_regexp_include",
        ),
        (json!({"url_regexp_exclude": long}), "url_regexp_exclude"),
        (
            json!({"url_regexp_include": "\\w{500}{500}"}),
            "url_regexp_include",
        ),
        (json!({"max_depth": null}), "max_depth"),
        (json!({"max_depth": -1}), "max_depth"),
        (json!({"max_depth": 1.5}), "max_depth"),
        (json!({"max_depth": "2"}), "max_depth"),
        (json!({"max_depth": 1_000_000}), "max_depth"),
        (json!({"crawl_budget": 1e40}), "crawl_budget"),
        (json!({"crawl_budget": 0}), "crawl_budget"),
        (
            json!({"callback": {"type": "email", "url": "http://127.0.0.1:9/"}}),
            "callback.type",
        ),
        (
            json!({"callback": {"type": "webhook", "url": "ftp://127.0.0.1/"}}),
            "callback.url",
        ),
        (json!({"api_params": {"render": true}}), "api_params.render"),
        (
            json!({"api_params": {"country_code": "us"}}),
            "api_params.country_code",
        ),
        (json!({"schedule": "daily"}), "schedule"),
        (
            json!({"schedule": {"name": "n", "interval": "fortnightly"}}),
            "schedule.interval",
        ),
        (
            json!({"schedule": {"name": "n", "cron": "0 3 * *"}}),
            "schedule.cron",
        ),
        (
            json!({"schedule": {"name": "n", "cron": "0 3 * * *", "timezone": "Mars/Base"}}),
            "schedule.timezone",
        ),
        (
            json!({"schedule": {"name": "n", "interval": "daily", "cron": "0 3 * * *"}}),
            "schedule.cron",
        ),
        (json!({"schedule": {"interval": "daily"}}), "schedule.name"),
        (
            json!({"enabled": "sometimes", "schedule": {"name": "n", "interval": "daily"}}),
            "enabled",
        ),
    ]
}

/// Changes to a valid job that a free key gets a 403 for.
fn free_plan_refusals() -> Vec<(Value, &'static str)> {
    vec![
        (json!({"max_depth": 2}), "max_depth"),
        (json!({"schedule": "daily"}), "schedule"),
        (
            json!({"schedule": {"name": "n", "interval": "daily"}}),
            "schedule",
        ),
    ]
}

/// A valid job with `changes` merged in; a `null` removes the field.
fn job_with(changes: &Value) -> Value {
    let mut body = job("http://127.0.0.1:9/");
    for (key, value) in changes.as_object().unwrap() {
        if value.is_null() {
            body.as_object_mut().unwrap().remove(key);
        } else {
            body[key] = value.clone();
        }
    }
    body
}

#[tokio::test]
async fn every_refused_job_gets_its_4xx_and_queues_nothing() {
    let _machine = crate::beside_others().await;
    let api = start(&services::unique_namespace(), true).await;
    let cases = bad_requests()
        .into_iter()
        .map(|(c, f)| (c, f, PAID_KEY, StatusCode::BAD_REQUEST));
    let free = free_plan_refusals()
        .into_iter()
        .map(|(c, f)| (c, f, FREE_KEY, StatusCode::FORBIDDEN));
    for (changes, field, key, status) in cases.chain(free) {
        let (got, answer) = api.submit(key, job_with(&changes)).await;
        let named = answer["error"]["field"].as_str();
        assert_eq!((got, named), (status, Some(field)), "{changes}: {answer}");
        let message = answer["error"]["message"].as_str();
        assert!(message.is_some_and(|m| !m.is_empty()), "{answer}");
    }
    let (_, answer) = api
        .submit(
            PAID_KEY,
            json!({"start_url": "http://127.0.0.1:9/", "crawl_budget": 0}),
        )
        .await;
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("the job would fail to start"),
        "{answer}"
    );

    let raw = |body: Vec<u8>| {
        api.client
            .post(format!("{}/v1/crawls", api.base))
            .header("x-api-key", PAID_KEY)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let (status, answer) = read(raw(b"{\"start_url\": ".to_vec()).await.unwrap()).await;
    assert_eq!(
        (status, answer["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("body")),
        "{answer}"
    );
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("column"),
        "{answer}"
    );
    let huge = format!(
        "{{\"start_url\":\"http://127.0.0.1:9/\",\"max_depth\":1,\"meta\":\"{}\"}}",
        "x".repeat(1024 * 1024 + 10)
    );
    let (status, answer) = read(raw(huge.into_bytes()).await.unwrap()).await;
    assert_eq!(
        (status, answer["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("body")),
        "{answer}"
    );

    assert_eq!(
        api.fetch_queue_depth().await,
        0,
        "a refused job queued something"
    );
    let (_, list) = api.get("/v1/crawls", PAID_KEY).await;
    assert_eq!(list["total"], 0, "a refused job was stored: {list}");
    let (_, schedules) = api.get("/v1/schedules", PAID_KEY).await;
    assert_eq!(
        schedules["schedules"],
        json!([]),
        "a refused schedule was stored"
    );
    // The same measurement sees an accepted job, so the zero above means something.
    api.submit_ok(PAID_KEY, job("http://127.0.0.1:9/")).await;
    assert_eq!(api.fetch_queue_depth().await, 1);
}

#[tokio::test]
async fn private_network_targets_are_refused_unless_allowed() {
    let _machine = crate::beside_others().await;
    let api = start(&services::unique_namespace(), false).await;
    for target in [
        "http://127.0.0.1:8080/",
        "http://localhost/",
        "http://169.254.169.254/latest/",
        "http://10.1.2.3/",
        "http://[::1]/",
    ] {
        let (status, answer) = api.submit(PAID_KEY, job(target)).await;
        assert_eq!(
            (status, answer["error"]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("start_url")),
            "{target}: {answer}"
        );
    }
    let public = "http://93.184.215.14/";
    let mut body = job(public);
    body["callback"] = json!({"type": "webhook", "url": "http://192.168.1.10/hook"});
    let (status, answer) = api.submit(PAID_KEY, body).await;
    assert_eq!(
        (status, answer["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("callback.url")),
        "{answer}"
    );
    assert_eq!(api.fetch_queue_depth().await, 0);

    api.submit_ok(PAID_KEY, job(public)).await;
    assert_eq!(api.fetch_queue_depth().await, 1);
}
