//! Listing jobs, and the endpoints operators use: health, readiness, metrics.

use super::*;

#[tokio::test]
async fn jobs_are_listed_newest_first_in_pages() {
    let _machine = crate::beside_others().await;
    let api = start(&services::unique_namespace(), true).await;
    let mut ids = Vec::new();
    for n in 0..5 {
        let mut body = job("http://127.0.0.1:9/");
        body["meta"] = json!({"n": n});
        ids.push(api.submit_ok(PAID_KEY, body).await);
        // Creation times are milliseconds; keep them distinct so the order is defined.
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
    let ns = |list: &Value| {
        list["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|j| j["meta"]["n"].as_u64().unwrap())
            .collect::<Vec<_>>()
    };

    let (status, first) = api.get("/v1/crawls?limit=2", PAID_KEY).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(
        (ns(&first), first["total"].as_u64()),
        (vec![4, 3], Some(5)),
        "{first}"
    );
    assert_eq!(first["nextOffset"], 2);
    let next = first["next"]
        .as_str()
        .unwrap()
        .strip_prefix(&api.base)
        .expect("next is absolute")
        .to_string();
    let (_, second) = api.get(&next, PAID_KEY).await;
    assert_eq!(ns(&second), vec![2, 1], "{second}");
    let (_, last) = api.get("/v1/crawls?page=3&per_page=2", PAID_KEY).await;
    assert_eq!(ns(&last), vec![0], "{last}");
    assert!(
        last.get("next").is_none() && last.get("nextOffset").is_none(),
        "{last}"
    );
    let (_, all) = api.get("/v1/crawls", PAID_KEY).await;
    assert_eq!(all["limit"], 20);
    assert_eq!(all["jobs"][0]["jobId"], ids[4].as_str());
    let (status, answer) = api.get("/v1/crawls?limit=abc", PAID_KEY).await;
    assert_eq!(
        (status, answer["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("limit"))
    );
}

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    let _machine = crate::beside_others().await;
    let api = start(&services::unique_namespace(), true).await;
    let (status, health) = api.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(
        (status, health["status"].as_str()),
        (StatusCode::OK, Some("ok"))
    );
    let (status, ready) = api.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(status, StatusCode::OK, "{ready}");
    assert_eq!(
        (ready["queue"].as_str(), ready["state"].as_str()),
        (Some("up"), Some("up"))
    );
    let (status, missing) = api.call(Method::GET, "/no/such/route", None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");

    api.submit_ok(PAID_KEY, job("http://127.0.0.1:9/")).await;
    let (status, _) = api.submit(PAID_KEY, json!({"max_depth": 1})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let response = api
        .client
        .get(format!("{}/metrics", api.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    assert!(text.contains("crawler_jobs_submitted_total 1"), "{text}");
    assert!(
        text.contains("crawler_jobs_refused_total{status=\"400\",field=\"start_url\"} 1"),
        "{text}"
    );
    assert!(
        text.contains(
            "crawler_http_requests_total{route=\"/v1/crawls\",method=\"POST\",status=\"201\"} 1"
        ),
        "{text}"
    );
    assert!(text.contains("route=\"unmatched\""), "{text}");
}
