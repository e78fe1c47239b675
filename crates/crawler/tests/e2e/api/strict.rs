//! Strict input over the real coordinator: a misspelled field is a 400 naming it, and the
//! request it came with leaves nothing behind.

use super::*;

/// Asserts the 400 our error shape gives an unknown field at `path`.
fn assert_unknown(status: StatusCode, answer: &Value, path: &str) {
    assert_eq!(
        (status, answer["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some(path)),
        "{answer}"
    );
    let message = answer["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(&format!("unknown field \"{path}\"")),
        "{answer}"
    );
}

#[tokio::test]
async fn misspelled_fields_are_refused_by_name_and_create_nothing() {
    let _machine = crate::beside_others().await;
    let api = start(&services::unique_namespace(), true).await;
    let target = "http://127.0.0.1:9/";

    let typo = json!({"start_url": target, "max_dept": 2, "crawl_budget": 10});
    let (status, answer) = api.submit(PAID_KEY, typo).await;
    assert_unknown(status, &answer, "max_dept");
    let mut nested = job(target);
    nested["callback"] = json!({"type": "webhook", "url": "http://127.0.0.1:9/in", "evnts": []});
    let (status, answer) = api
        .call(Method::POST, "/job", Some(PAID_KEY), Some(nested))
        .await;
    assert_unknown(status, &answer, "callback.evnts");
    let (status, answer) = api
        .call(
            Method::POST,
            "/v1/jobs",
            Some(PAID_KEY),
            Some(json!({"url": target, "apiParams": {"outputFormat": "text"}})),
        )
        .await;
    assert_unknown(status, &answer, "apiParams.outputFormat");
    assert_eq!(api.fetch_queue_depth().await, 0, "a refused job queued");
    let (_, list) = api.get("/v1/crawls", PAID_KEY).await;
    assert_eq!(list["total"], 0, "a refused job was stored: {list}");

    let hook = json!({"name": "orders", "url": "http://127.0.0.1:9/in", "evnts": ["crawl.page"]});
    let (status, answer) = api
        .call(Method::POST, "/v1/webhooks", Some(PAID_KEY), Some(hook))
        .await;
    assert_unknown(status, &answer, "evnts");
    let (_, listed) = api.get("/v1/webhooks", PAID_KEY).await;
    assert_eq!(
        listed["webhooks"],
        json!([]),
        "a refused webhook was stored"
    );

    // The same measurements see what is accepted, with a documented alias and the key in
    // the body, so the zeros above mean something.
    let hook = json!({"name": "orders", "url": "http://127.0.0.1:9/in", "apiKey": PAID_KEY});
    let (status, created) = api
        .call(Method::POST, "/v1/webhooks", Some(PAID_KEY), Some(hook))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let patch = json!({"timeout_ms": 2000, "retry_shedule": ["1s"]});
    let (status, answer) = api
        .call(
            Method::PATCH,
            "/v1/webhooks/orders",
            Some(PAID_KEY),
            Some(patch),
        )
        .await;
    assert_unknown(status, &answer, "retry_shedule");
    let (_, read) = api.get("/v1/webhooks/orders", PAID_KEY).await;
    assert_ne!(
        read["timeoutMs"], 2000,
        "a refused change was applied: {read}"
    );

    let mut accepted = job(target);
    accepted["api_key"] = json!(PAID_KEY);
    accepted["webhook_name"] = json!("orders");
    api.submit_ok(PAID_KEY, accepted).await;
    assert_eq!(api.fetch_queue_depth().await, 1);
}
