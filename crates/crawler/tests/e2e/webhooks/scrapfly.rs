//! The `scrapfly` profile against a receiver written from Scrapfly's webhook
//! documentation (<https://scrapfly.io/docs/scrape-api/webhook>), not from our dispatcher:
//! - webhooks are scoped per project and environment, and every request carries
//!   `X-Scrapfly-Webhook-Env`, `X-Scrapfly-Webhook-Project` and `X-Scrapfly-Webhook-Name`;
//! - the origin is authenticated by `X-Scrapfly-Webhook-Secret`, the webhook's secret;
//! - the body is the usual one plus webhook information in its `context`
//!   (`context.webhook.name`, `context.webhook.consecutive_failed_count`);
//! - failed notifications are retried on a schedule (30 s, 1 min, 5 min, ...), shortened
//!   here through the endpoint's `retry_schedule`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use crawler_testkit::receiver::{signature_is_valid, Received};
use reqwest::Method;
use serde_json::{json, Value};

use super::harness::{page, Harness, SECRET, WAIT};

/// One notification as a Scrapfly receiver reads it.
#[derive(Debug, Clone)]
struct Notification {
    env: String,
    project: String,
    name: String,
    body: Value,
    raw: String,
    at: Instant,
    /// The request as sent, to check the Standard Webhooks signature beside it.
    request: Received,
}

#[derive(Default)]
struct Inbox {
    notifications: Vec<Notification>,
    /// Requests whose secret header was missing or wrong.
    refused: usize,
    /// Failures still to answer, to see the retries.
    fail_next: usize,
}

type Shared = Arc<Mutex<Inbox>>;

/// The receiver a Scrapfly user runs: check the secret header, read the scope headers and
/// the body's context, answer 2xx (or fail while told to).
async fn receive(
    State(inbox): State<(Shared, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let (inbox, secret) = inbox;
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let mut inbox = inbox.lock().unwrap();
    if header("X-Scrapfly-Webhook-Secret") != secret {
        inbox.refused += 1;
        return StatusCode::FORBIDDEN;
    }
    let raw = String::from_utf8_lossy(&body).to_string();
    inbox.notifications.push(Notification {
        env: header("X-Scrapfly-Webhook-Env"),
        project: header("X-Scrapfly-Webhook-Project"),
        name: header("X-Scrapfly-Webhook-Name"),
        body: serde_json::from_str(&raw).unwrap_or(Value::Null),
        raw,
        at: Instant::now(),
        request: Received {
            headers: headers.clone(),
            body: body.clone(),
            at: Instant::now(),
            status: 200,
        },
    });
    if inbox.fail_next > 0 {
        inbox.fail_next -= 1;
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    StatusCode::OK
}

async fn scrapfly_receiver(secret: &str, fail_first: usize) -> (String, Shared) {
    let inbox: Shared = Arc::new(Mutex::new(Inbox {
        fail_next: fail_first,
        ..Default::default()
    }));
    let app = axum::Router::new()
        .fallback(receive)
        .with_state((inbox.clone(), secret.to_string()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/scrapfly", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, inbox)
}

#[tokio::test]
async fn a_scrapfly_receiver_gets_its_headers_context_and_retries_unchanged() {
    let _machine = crate::beside_others().await;
    let mut h = Harness::with_keys("key-1:paid:shop:test", |_| {}).await;
    h.start_dispatcher();
    let (url, inbox) = scrapfly_receiver(SECRET, 2).await;
    let hook = json!({
        "name": "orders", "url": url, "profile": "scrapfly", "secret": SECRET,
        "events": ["crawl.page", "crawl.finished"], "retry_schedule": ["300ms", "600ms"],
    });
    let (status, created) = h
        .call("key-1", Method::POST, "/v1/webhooks", Some(hook))
        .await;
    assert_eq!(status, 201, "{created}");
    let job = h.submit_named("key-1", "orders").await;
    h.publish(vec![page(job, "/a", "<p>a</p>")]).await;

    let deadline = Instant::now() + WAIT;
    let got = loop {
        let got = inbox.lock().unwrap().notifications.clone();
        if got.len() >= 3 {
            break got;
        }
        assert!(Instant::now() < deadline, "{} notifications", got.len());
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(
        inbox.lock().unwrap().refused,
        0,
        "every request carried the secret"
    );
    for (n, notification) in got.iter().enumerate() {
        assert_eq!(notification.env, "test");
        assert_eq!(notification.project, "shop");
        assert_eq!(notification.name, "orders");
        let webhook = &notification.body["context"]["webhook"];
        assert_eq!(webhook["name"], "orders");
        assert_eq!(webhook["consecutive_failed_count"], n as u64, "{webhook}");
        assert!(
            !notification
                .raw
                .contains(SECRET.trim_start_matches("whsec_")),
            "the body never echoes the secret"
        );
        assert!(
            signature_is_valid(SECRET, &notification.request),
            "signed as well"
        );
        assert_eq!(notification.body["event"], "crawl.page");
        assert_eq!(notification.body["url"], "http://site.test/a");
        assert_eq!(notification.body["response"]["body"], "<p>a</p>");
    }
    // The shortened schedule, each wait within its 20% jitter.
    let gaps: Vec<Duration> = got.windows(2).map(|w| w[1].at - w[0].at).collect();
    assert!(gaps[0] >= Duration::from_millis(230), "{gaps:?}");
    assert!(gaps[1] >= Duration::from_millis(470), "{gaps:?}");

    // Delivered at last: the count starts again.
    let (_, shown) = h
        .call("key-1", Method::GET, "/v1/webhooks/orders", None)
        .await;
    assert_eq!(shown["health"]["consecutiveFailures"], 0, "{shown}");
}
