//! API keys, job ownership, cancelling, and several coordinators on one namespace.

use super::*;

#[tokio::test]
async fn keys_are_required_and_jobs_are_private_to_their_key() {
    let _machine = crate::beside_others().await;
    let api = start(&services::unique_namespace(), true).await;
    let url = format!("{}/v1/crawls", api.base);
    let body = job("http://127.0.0.1:9/");

    let (status, answer) = read(api.client.post(&url).json(&body).send().await.unwrap()).await;
    assert_eq!(
        (status, answer["error"]["field"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("api_key")),
        "{answer}"
    );
    let (status, _) = api.submit("no-such-key", body.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = read(api.client.get(&url).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // The key in the header, as a bearer token, in each body spelling, and in the query
    // string of ScraperAPI's path (its clients put it there).
    let by_header = api.submit_ok(PAID_KEY, body.clone()).await;
    let bearer = api
        .client
        .post(&url)
        .bearer_auth(PAID_KEY)
        .json(&body)
        .send()
        .await
        .unwrap();
    let (status, answer) = read(bearer).await;
    assert_eq!(status, StatusCode::CREATED, "bearer: {answer}");
    for field in ["api_key", "apiKey"] {
        let mut keyed = body.clone();
        keyed[field] = json!(PAID_KEY);
        let (status, answer) = read(api.client.post(&url).json(&keyed).send().await.unwrap()).await;
        assert_eq!(status, StatusCode::CREATED, "{field}: {answer}");
    }
    let scraperapi_path = format!("{}/job?api_key={PAID_KEY}", api.base);
    let sent = api.client.post(&scraperapi_path).json(&body).send().await;
    let (status, answer) = read(sent.unwrap()).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    // Our own routes refuse a key in the query string, and create nothing.
    let with_query = format!("{url}?api_key={PAID_KEY}");
    let sent = api.client.post(&with_query).json(&body).send().await;
    let (status, answer) = read(sent.unwrap()).await;
    assert_eq!(
        (status, answer["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("api_key")),
        "{answer}"
    );
    let (status, _) = read(api.client.get(&with_query).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, list) = api.get("/v1/crawls", PAID_KEY).await;
    assert_eq!(
        (status, list["total"].as_u64()),
        (StatusCode::OK, Some(5)),
        "{list}"
    );

    // Another key sees none of it.
    for method in [Method::GET, Method::DELETE] {
        let (status, answer) = api
            .call(
                method,
                &format!("/v1/crawls/{by_header}"),
                Some(OTHER_KEY),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
    }
    let (_, other_list) = api.get("/v1/crawls", OTHER_KEY).await;
    assert_eq!(other_list["total"], 0, "{other_list}");
    let (_, still_running) = api.get(&format!("/v1/crawls/{by_header}"), PAID_KEY).await;
    assert!(
        still_running.get("stopReason").is_none(),
        "another key cancelled it: {still_running}"
    );

    // The free plan may crawl one level deep.
    api.submit_ok(FREE_KEY, job("http://127.0.0.1:9/")).await;
}

#[tokio::test]
async fn cancel_is_idempotent_and_reports_the_stop_reason() {
    let _machine = crate::beside_others().await;
    let api = start(&services::unique_namespace(), true).await;
    let id = api.submit_ok(PAID_KEY, job("http://127.0.0.1:9/")).await;
    for path in [format!("/v1/crawls/{id}"), format!("/job/{id}")] {
        let (status, answer) = api.call(Method::DELETE, &path, Some(PAID_KEY), None).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer["jobId"], id.as_str());
        assert_eq!(answer["stopReason"], "cancelled", "{answer}");
    }
    let (_, answer) = api.get(&format!("/v1/crawls/{id}"), PAID_KEY).await;
    assert_eq!(answer["stopReason"], "cancelled", "{answer}");
    assert!(
        matches!(answer["jobState"].as_str(), Some("running" | "cancelled")),
        "{answer}"
    );

    for missing in [uuid::Uuid::now_v7().to_string(), "not-a-uuid".to_string()] {
        let (status, answer) = api
            .call(
                Method::DELETE,
                &format!("/v1/crawls/{missing}"),
                Some(PAID_KEY),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
        assert!(answer["error"]["message"].is_string());
        let (status, _) = api.get(&format!("/job/{missing}"), PAID_KEY).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn a_second_coordinator_serves_the_jobs_of_the_first() {
    let _machine = crate::beside_others().await;
    let namespace = services::unique_namespace();
    let first = start(&namespace, true).await;
    let second = start(&namespace, true).await;
    let mut body = job("http://127.0.0.1:9/shared");
    body["meta"] = json!({"from": "first"});
    let id = first.submit_ok(PAID_KEY, body).await;

    let (status, seen) = second.get(&format!("/v1/crawls/{id}"), PAID_KEY).await;
    assert_eq!(status, StatusCode::OK, "{seen}");
    assert_eq!(seen["meta"], json!({"from": "first"}));
    assert_eq!(seen["startUrl"], "http://127.0.0.1:9/shared");
    let (status, _) = second
        .call(
            Method::DELETE,
            &format!("/v1/crawls/{id}"),
            Some(PAID_KEY),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, after) = first.get(&format!("/v1/crawls/{id}"), PAID_KEY).await;
    assert_eq!(after["stopReason"], "cancelled", "{after}");
}

#[tokio::test]
async fn schedules_are_private_to_their_key() {
    let _machine = crate::beside_others().await;
    let api = start(&services::unique_namespace(), true).await;
    let mut body = job("http://127.0.0.1:9/");
    body["schedule"] = json!({"name": "nightly", "cron": "0 3 * * *"});
    let (status, created) = api.submit(PAID_KEY, body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let path = format!("/v1/schedules/{}", created["id"].as_str().expect("id"));

    let patch = Some(json!({"enabled": false}));
    for (method, path, body) in [
        (Method::GET, path.clone(), None),
        (Method::PATCH, path.clone(), patch),
        (Method::DELETE, path.clone(), None),
        (Method::POST, format!("{path}/run"), None),
    ] {
        let (status, answer) = api.call(method.clone(), &path, Some(OTHER_KEY), body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {answer}");
    }
    let (_, others) = api.get("/v1/schedules", OTHER_KEY).await;
    assert_eq!(others["schedules"], json!([]), "{others}");

    // The owner's schedule is untouched.
    let (status, mine) = api.get(&path, PAID_KEY).await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    assert_eq!(mine["enabled"], true, "{mine}");
    assert_eq!(mine["cron"], "0 3 * * *", "{mine}");
    let (_, list) = api.get("/v1/schedules", PAID_KEY).await;
    assert_eq!(
        list["schedules"].as_array().map(Vec::len),
        Some(1),
        "{list}"
    );
}
