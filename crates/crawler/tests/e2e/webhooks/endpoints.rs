//! Named webhook endpoints of a project and environment, over the real RabbitMQ and Redis:
//! the `/v1/webhooks` resource as each key's tenant sees it, jobs that name an endpoint,
//! auto-disable after N failures with enable and replay, health per tenant endpoint (never
//! per URL), and the signed `webhook.test` event.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use crawler_testkit::receiver::{signature_is_valid, Behaviour, Received, Receiver};
use reqwest::Method;
use serde_json::{json, Value};

use super::harness::{page, Harness, SECRET, WAIT};

/// Two keys of `shop`'s live environment, one of its test environment, one of another
/// project.
const KEYS: &str =
    "live-1:paid:shop:live,live-2:paid:shop:live,test-1:paid:shop:test,other:paid:acme:live";

fn endpoint(name: &str, url: &str) -> Value {
    json!({"name": name, "url": url, "events": ["crawl.page", "crawl.finished"]})
}

#[tokio::test]
async fn endpoints_belong_to_a_project_and_environment_and_show_their_secret_once() {
    let _machine = crate::beside_others().await;
    let h = Harness::with_keys(KEYS, |_| {}).await;
    let rx = Receiver::start().await;
    let (status, created) = h
        .call(
            "live-1",
            Method::POST,
            "/v1/webhooks",
            Some(endpoint("orders", &rx.url())),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(
        (created["project"].as_str(), created["env"].as_str()),
        (Some("shop"), Some("live"))
    );
    assert_eq!(created["profile"], "standard");
    assert!(created["secret"].as_str().unwrap().starts_with("whsec_"));
    assert_eq!(created["health"]["enabled"], true);
    assert_eq!(created["health"]["consecutiveFailures"], 0);

    // The secret is shown once: never by a read, a listing or a change.
    let (_, read) = h
        .call("live-2", Method::GET, "/v1/webhooks/orders", None)
        .await;
    assert_eq!(
        read["url"],
        rx.url(),
        "keys of one project and env share its webhooks"
    );
    assert!(read.get("secret").is_none(), "{read}");
    let (_, listed) = h.call("live-1", Method::GET, "/v1/webhooks", None).await;
    assert_eq!(listed["webhooks"].as_array().unwrap().len(), 1);
    assert!(listed["webhooks"][0].get("secret").is_none());
    let change = json!({"retry_schedule": ["1s", "5m"], "timeout_ms": 2000});
    let (status, changed) = h
        .call("live-1", Method::PATCH, "/v1/webhooks/orders", Some(change))
        .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["retryScheduleMs"], json!([1000, 300000]));
    assert_eq!(changed["timeoutMs"], 2000);
    assert!(changed.get("secret").is_none());

    // Names are unique within a project and environment: 409 there, fine elsewhere.
    let (status, conflict) = h
        .call(
            "live-2",
            Method::POST,
            "/v1/webhooks",
            Some(endpoint("orders", &rx.url())),
        )
        .await;
    assert_eq!(status, 409, "{conflict}");
    assert_eq!(conflict["error"]["field"], "name");
    for key in ["test-1", "other"] {
        let (status, body) = h
            .call(
                key,
                Method::POST,
                "/v1/webhooks",
                Some(endpoint("orders", &rx.url())),
            )
            .await;
        assert_eq!(status, 201, "{key}: {body}");
    }

    // Another tenant's endpoint is invisible, whatever the route.
    h.call("other", Method::DELETE, "/v1/webhooks/orders", None)
        .await;
    for (method, path) in [
        (Method::GET, "/v1/webhooks/orders"),
        (Method::PATCH, "/v1/webhooks/orders"),
        (Method::DELETE, "/v1/webhooks/orders"),
        (Method::POST, "/v1/webhooks/orders/enable"),
        (Method::POST, "/v1/webhooks/orders/test"),
    ] {
        let (status, body) = h.call("other", method.clone(), path, Some(json!({}))).await;
        assert_eq!(status, 404, "{method} {path}: {body}");
    }
    let (_, still) = h
        .call("live-1", Method::GET, "/v1/webhooks/orders", None)
        .await;
    assert_eq!(
        still["url"],
        rx.url(),
        "another tenant's delete left it alone"
    );

    let (status, refused) = h
        .call(
            "live-1",
            Method::PATCH,
            "/v1/webhooks/orders",
            Some(json!({"name": "renamed"})),
        )
        .await;
    assert_eq!(
        (status, refused["error"]["field"].as_str()),
        (400, Some("name"))
    );
    let (status, _) = h
        .call("live-1", Method::DELETE, "/v1/webhooks/orders", None)
        .await;
    assert_eq!(status, 200);
    let (status, _) = h
        .call("live-2", Method::GET, "/v1/webhooks/orders", None)
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_webhook_name_of_another_project_or_environment_is_refused_and_nothing_is_queued() {
    let _machine = crate::beside_others().await;
    let h = Harness::with_keys(KEYS, |_| {}).await;
    let rx = Receiver::start().await;
    let (status, _) = h
        .call(
            "live-1",
            Method::POST,
            "/v1/webhooks",
            Some(endpoint("orders", &rx.url())),
        )
        .await;
    assert_eq!(status, 201);
    h.submit_named("live-2", "orders").await;

    for key in ["test-1", "other"] {
        let job =
            json!({"start_url": "http://127.0.0.1:9/", "max_depth": 0, "webhook_name": "orders"});
        let (status, answer) = h.call(key, Method::POST, "/v1/crawls", Some(job)).await;
        assert_eq!(status, 400, "{key}: {answer}");
        assert_eq!(answer["error"]["field"], "webhook_name", "{answer}");
        let (_, jobs) = h.call(key, Method::GET, "/v1/crawls", None).await;
        assert_eq!(
            jobs["jobs"].as_array().map(Vec::len),
            Some(0),
            "{key}: {jobs}"
        );
    }
    let both = json!({
        "start_url": "http://127.0.0.1:9/", "max_depth": 0, "webhook_name": "orders",
        "callback": {"type": "webhook", "url": rx.url()},
    });
    let (status, answer) = h
        .call("live-1", Method::POST, "/v1/crawls", Some(both))
        .await;
    assert_eq!(
        (status, answer["error"]["field"].as_str()),
        (400, Some("webhook_name"))
    );
}

#[tokio::test]
async fn an_endpoint_is_disabled_after_n_failures_and_enable_then_replay_delivers() {
    let _machine = crate::beside_others().await;
    let h = Harness::with_keys(KEYS, |s| s.webhook_disable_after = 3).await;
    let mut h = h;
    h.start_dispatcher();
    // Any 4xx is a failure to retry, like a 5xx.
    let rx = Receiver::start_with(Behaviour::Always(404)).await;
    let mut hook = endpoint("flaky", &rx.url());
    hook["secret"] = SECRET.into();
    hook["retry_schedule"] = json!(["100ms", "100ms"]);
    let (status, _) = h
        .call("live-1", Method::POST, "/v1/webhooks", Some(hook))
        .await;
    assert_eq!(status, 201);
    let job = h.submit_named("live-1", "flaky").await;

    // The first event's three attempts are three failures in a row: disabled.
    let first = h.publish(vec![page(job, "/one", "1")]).await;
    let failed = format!("/v1/crawls/{job}/deliveries?state=failed");
    let listing = dead_letters(&h, &failed, 1, "live-1").await;
    assert_eq!(listing["deliveries"][0]["reason"], "exhausted");
    assert_eq!(rx.received().len(), 3);
    let (_, shown) = h
        .call("live-1", Method::GET, "/v1/webhooks/flaky", None)
        .await;
    assert_eq!(shown["health"]["enabled"], false, "{shown}");
    assert_eq!(shown["health"]["consecutiveFailures"], 3);
    assert!(shown["health"]["disabledAt"]
        .as_u64()
        .is_some_and(|at| at > 0));
    assert_eq!(shown["health"]["lastAttempt"]["statusCode"], 404);

    // Later events go to the dead letters without a request.
    let later = h
        .publish(vec![page(job, "/two", "2"), page(job, "/three", "3")])
        .await;
    let listing = dead_letters(&h, &failed, 3, "live-1").await;
    assert_eq!(rx.received().len(), 3, "no request to a disabled endpoint");
    let skipped = listing["deliveries"].as_array().unwrap().iter();
    assert_eq!(
        skipped
            .filter(|d| d["reason"] == "endpoint_disabled")
            .count(),
        2
    );

    rx.set_behaviour(Behaviour::Ok);
    let (status, enabled) = h
        .call("live-2", Method::POST, "/v1/webhooks/flaky/enable", None)
        .await;
    assert_eq!(status, 200, "{enabled}");
    assert_eq!(enabled["wasDisabled"], true);
    assert_eq!(enabled["webhook"]["health"]["enabled"], true);
    let replay = format!("/v1/crawls/{job}/deliveries/replay");
    let (_, replayed) = h
        .call("live-1", Method::POST, &replay, Some(json!({})))
        .await;
    assert_eq!(replayed["replayed"], 3, "{replayed}");
    let got = rx.wait_accepted(3, WAIT).await;
    let mut ids: Vec<&str> = got
        .iter()
        .map(|r| r.header("webhook-id").unwrap_or(""))
        .collect();
    ids.sort();
    let mut expected: Vec<&str> = first
        .iter()
        .chain(&later)
        .map(|e| e.event_id.as_str())
        .collect();
    expected.sort();
    assert_eq!(ids, expected);
    assert!(got.iter().all(|r| signature_is_valid(SECRET, r)));
    let (_, healthy) = h
        .call("live-1", Method::GET, "/v1/webhooks/flaky", None)
        .await;
    assert_eq!(healthy["health"]["consecutiveFailures"], 0);
    assert_eq!(healthy["health"]["lastAttempt"]["statusCode"], 200);
}

/// A server answering every request with a 308 to `to`.
async fn redirector(to: String) -> String {
    let app = axum::Router::new().fallback(move || {
        let to = to.clone();
        async move { (StatusCode::PERMANENT_REDIRECT, [("location", to)]) }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/old", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

#[tokio::test]
async fn a_named_endpoint_follows_redirects_and_retries_a_4xx_on_its_own_schedule() {
    let _machine = crate::beside_others().await;
    let mut h = Harness::with_keys(KEYS, |_| {}).await;
    h.start_dispatcher();
    let rx = Receiver::start_with(Behaviour::Always(429)).await;
    let mut hook = endpoint("moved", &redirector(rx.url()).await);
    hook["secret"] = SECRET.into();
    hook["retry_schedule"] = json!(["100ms", "100ms", "100ms"]);
    h.call("live-1", Method::POST, "/v1/webhooks", Some(hook))
        .await;
    let job = h.submit_named("live-1", "moved").await;
    let sent = h.publish(vec![page(job, "/a", "a")]).await;

    rx.wait_until(WAIT, "two refused attempts", |r| r.len() >= 2)
        .await;
    rx.set_behaviour(Behaviour::Ok);
    let got = rx.wait_accepted(1, WAIT).await;
    let all = rx.received();
    assert!(all.len() >= 3, "{} requests", all.len());
    for request in &all {
        assert_eq!(
            request.header("webhook-id"),
            Some(sent[0].event_id.as_str())
        );
        assert!(
            signature_is_valid(SECRET, request),
            "the body survives the redirect"
        );
    }
    assert_eq!(got[0].json()["url"], "http://site.test/a");
}

/// A receiver that fails the requests carrying `x-tenant: failing` and accepts the others,
/// so two tenants' endpoints can share one URL.
async fn picky_receiver() -> (String, Arc<Mutex<Vec<(String, u16)>>>) {
    let seen: Arc<Mutex<Vec<(String, u16)>>> = Arc::default();
    let log = seen.clone();
    let app = axum::Router::new().fallback(move |headers: HeaderMap| {
        let log = log.clone();
        async move {
            let tenant = headers
                .get("x-tenant")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let status = if tenant == "failing" { 500 } else { 200 };
            log.lock().unwrap().push((tenant.to_string(), status));
            StatusCode::from_u16(status).unwrap()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/shared", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

#[tokio::test]
async fn two_tenants_at_the_same_url_one_failing_leave_the_other_enabled() {
    let _machine = crate::beside_others().await;
    let mut h = Harness::with_keys(KEYS, |s| s.webhook_disable_after = 2).await;
    h.start_dispatcher();
    let (url, seen) = picky_receiver().await;
    for (key, tenant) in [("live-1", "failing"), ("other", "fine")] {
        let mut hook = endpoint("hook", &url);
        hook["headers"] = json!({"x-tenant": tenant});
        hook["retry_schedule"] = json!(["100ms"]);
        let (status, body) = h.call(key, Method::POST, "/v1/webhooks", Some(hook)).await;
        assert_eq!(status, 201, "{body}");
    }
    let failing = h.submit_named("live-1", "hook").await;
    let fine = h.submit_named("other", "hook").await;

    let failed = format!("/v1/crawls/{failing}/deliveries?state=failed");
    h.publish(vec![page(failing, "/a", "a")]).await;
    dead_letters(&h, &failed, 1, "live-1").await;
    let (_, disabled) = h
        .call("live-1", Method::GET, "/v1/webhooks/hook", None)
        .await;
    assert_eq!(disabled["health"]["enabled"], false, "{disabled}");

    h.publish(vec![page(fine, "/a", "a"), page(fine, "/b", "b")])
        .await;
    let deadline = std::time::Instant::now() + WAIT;
    while seen
        .lock()
        .unwrap()
        .iter()
        .filter(|(t, _)| t == "fine")
        .count()
        < 2
    {
        assert!(
            std::time::Instant::now() < deadline,
            "{:?}",
            seen.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (_, other) = h
        .call("other", Method::GET, "/v1/webhooks/hook", None)
        .await;
    assert_eq!(other["health"]["enabled"], true, "{other}");
    assert_eq!(other["health"]["consecutiveFailures"], 0);
    assert_eq!(other["health"]["lastAttempt"]["statusCode"], 200);
    let failures = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|(t, _)| t == "failing")
        .count();
    assert_eq!(
        failures,
        2,
        "the failing tenant's attempts: {:?}",
        seen.lock().unwrap()
    );
}

#[tokio::test]
async fn test_sends_a_signed_webhook_test_event_and_answers_with_the_attempt() {
    let _machine = crate::beside_others().await;
    let h = Harness::with_keys(KEYS, |_| {}).await;
    let rx = Receiver::start().await;
    let mut hook = endpoint("probe", &rx.url());
    hook["secret"] = SECRET.into();
    h.call("test-1", Method::POST, "/v1/webhooks", Some(hook))
        .await;

    let (status, answer) = h
        .call("test-1", Method::POST, "/v1/webhooks/probe/test", None)
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["event"], "webhook.test");
    assert_eq!(answer["delivered"], true);
    assert_eq!(answer["attempt"]["statusCode"], 200);
    let got: Vec<Received> = rx.wait_accepted(1, WAIT).await;
    assert_eq!(got[0].event(), "webhook.test");
    assert_eq!(got[0].json()["webhookName"], "probe");
    assert_eq!(got[0].json()["env"], "test");
    assert_eq!(got[0].header("webhook-id"), answer["eventId"].as_str());
    assert!(
        signature_is_valid(SECRET, &got[0]),
        "the test event is signed"
    );

    // A failing receiver is reported, and a probe is not counted against the endpoint.
    rx.set_behaviour(Behaviour::Always(503));
    let (_, answer) = h
        .call("test-1", Method::POST, "/v1/webhooks/probe/test", None)
        .await;
    assert_eq!(answer["delivered"], false);
    assert_eq!(answer["attempt"]["statusCode"], 503);
    assert_eq!(answer["attempt"]["error"], "http_503");
    let (_, shown) = h
        .call("test-1", Method::GET, "/v1/webhooks/probe", None)
        .await;
    assert_eq!(shown["health"]["consecutiveFailures"], 0);
}

/// Waits until the failed-deliveries listing at `path`, read as `key`, holds `n` entries.
async fn dead_letters(h: &Harness, path: &str, n: usize, key: &str) -> Value {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let (_, listing) = h.call(key, Method::GET, path, None).await;
        if listing["deliveries"].as_array().map_or(0, Vec::len) >= n {
            return listing;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "fewer than {n} dead letters: {listing}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_changed_endpoint_gets_the_running_job_s_next_events() {
    let _machine = crate::beside_others().await;
    let mut h = Harness::with_keys(KEYS, |_| {}).await;
    h.start_dispatcher();
    let (before, after) = (Receiver::start().await, Receiver::start().await);
    h.call(
        "live-1",
        Method::POST,
        "/v1/webhooks",
        Some(endpoint("moving", &before.url())),
    )
    .await;
    let job = h.submit_named("live-1", "moving").await;
    h.publish(vec![page(job, "/a", "a")]).await;
    before.wait_accepted(1, WAIT).await;

    let change = json!({"url": after.url(), "headers": {"x-moved": "yes"}});
    let (status, _) = h
        .call("live-1", Method::PATCH, "/v1/webhooks/moving", Some(change))
        .await;
    assert_eq!(status, 200);
    // Dispatchers read a stored endpoint again after at most 2 s.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    h.publish(vec![page(job, "/b", "b")]).await;
    let got = after.wait_accepted(1, WAIT).await;
    assert_eq!(got[0].json()["url"], "http://site.test/b");
    assert_eq!(got[0].header("x-moved"), Some("yes"));
    assert_eq!(before.received().len(), 1);
}
