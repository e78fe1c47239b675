//! Flow control and ordering over the real RabbitMQ and Redis: no receiver gets more
//! requests at once than `webhook_max_in_flight_per_endpoint`, a refused connection gets
//! the quick retries before the long schedule, and the summary waits until every page
//! event is delivered or dead-lettered, for at most `summary_hold_max`.

use std::time::Duration;

use crawler_core::EventKind;
use crawler_testkit::receiver::{Behaviour, Receiver};
use serde_json::Value;

use super::harness::{callback, page, summary, Harness, WAIT};

#[tokio::test]
async fn a_receiver_never_has_more_requests_in_flight_than_the_endpoint_limit() {
    let _machine = crate::beside_others().await;
    let mut h = Harness::new(|s| {
        s.webhook_concurrency = 32;
        s.webhook_max_in_flight_per_endpoint = 3;
    })
    .await;
    h.start_dispatcher();
    let rx = Receiver::start_with(Behaviour::Slow(Duration::from_millis(100))).await;
    let job = h.create_job(callback(&rx.url(), &[EventKind::Page])).await;
    let paths: Vec<String> = (0..40).map(|n| format!("/busy/{n}")).collect();
    h.publish(paths.iter().map(|p| page(job, p, "x")).collect())
        .await;

    rx.wait_accepted(paths.len(), Duration::from_secs(60)).await;
    let most = rx.max_in_flight();
    assert!(
        most <= 3,
        "the receiver had {most} requests in flight at once"
    );
    assert!(
        most >= 2,
        "deliveries ran side by side up to the limit ({most})"
    );
}

/// Events for an endpoint at its limit do not sit in the dispatcher's slots for long:
/// after a short wait they go back to the broker, so another endpoint's event queued
/// behind them gets a slot. (Were they to wait for their endpoint, the other event would
/// wait for nine of the busy endpoint's two-second requests.)
#[tokio::test]
async fn a_busy_endpoint_does_not_hold_up_another_endpoint_s_events() {
    let _machine = crate::beside_others().await;
    let mut h = Harness::new(|s| {
        s.webhook_concurrency = 4;
        s.webhook_max_in_flight_per_endpoint = 1;
    })
    .await;
    h.start_dispatcher();
    let busy = Receiver::start_with(Behaviour::Slow(Duration::from_secs(2))).await;
    let other = Receiver::start().await;
    let busy_job = h
        .create_job(callback(&busy.url(), &[EventKind::Page]))
        .await;
    let other_job = h
        .create_job(callback(&other.url(), &[EventKind::Page]))
        .await;
    let paths: Vec<String> = (0..12).map(|n| format!("/queued/{n}")).collect();
    h.publish(paths.iter().map(|p| page(busy_job, p, "x")).collect())
        .await;
    h.publish(vec![page(other_job, "/meanwhile", "y")]).await;

    other.wait_accepted(1, Duration::from_secs(30)).await;
    let busy_done = busy.received().len();
    assert!(
        busy_done <= 5,
        "the other endpoint's event waited behind {busy_done} of the busy one's requests"
    );
    assert_eq!(busy.max_in_flight(), 1);
}

/// A port nobody listens on: connecting to it is refused.
async fn refusing_port() -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap()
}

#[tokio::test]
async fn a_refused_connection_gets_the_quick_retries_then_the_long_schedule() {
    let _machine = crate::beside_others().await;
    let mut h = Harness::new(|s| {
        s.webhook_quick_retries = "200ms,600ms".into();
        s.webhook_retry_schedule = "1500ms,1500ms".into();
    })
    .await;
    h.start_dispatcher();
    let addr = refusing_port().await;
    let url = format!("http://{addr}/hook");
    let job = h.create_job(callback(&url, &[EventKind::Page])).await;
    let sent = h.publish(vec![page(job, "/refused", "x")]).await;

    // Every try is refused: two quick retries, then the two of the long schedule, then
    // the dead letter.
    let entries = wait_log(&h, job, 5).await;
    let planned: Vec<Option<u64>> = entries.iter().map(|e| e["retryInMs"].as_u64()).collect();
    let within = |planned: Option<u64>, ms: u64| {
        planned.is_some_and(|p| p >= ms * 8 / 10 && p <= ms * 12 / 10)
    };
    assert!(within(planned[0], 200), "first a quick retry: {planned:?}");
    assert!(
        within(planned[1], 600),
        "then the second quick retry: {planned:?}"
    );
    assert!(
        within(planned[2], 1500),
        "then the long schedule: {planned:?}"
    );
    assert!(within(planned[3], 1500), "{planned:?}");
    assert_eq!(planned[4], None, "the schedule is exhausted");
    assert_eq!(entries[4]["outcome"], "exhausted");
    for (n, entry) in entries.iter().enumerate() {
        assert_eq!(entry["attempt"], n as u64 + 1);
        assert_eq!(entry["deliveryId"], sent[0].event_id.as_str());
        let error = entry["error"].as_str().unwrap();
        assert!(error.starts_with("connection_error"), "{error}");
        assert!(entry.get("statusCode").is_none());
    }
    // Each retry waited at least most of what was planned for it, in the broker.
    for pair in entries.windows(2) {
        let gap = pair[1]["atMs"].as_u64().unwrap() - pair[0]["atMs"].as_u64().unwrap();
        assert!(
            gap >= pair[0]["retryInMs"].as_u64().unwrap() * 3 / 4,
            "{pair:?}"
        );
    }
}

#[tokio::test]
async fn an_answered_failure_goes_to_the_long_schedule_at_once() {
    let _machine = crate::beside_others().await;
    let mut h = Harness::new(|s| {
        s.webhook_quick_retries = "200ms,600ms".into();
        s.webhook_retry_schedule = "1500ms".into();
    })
    .await;
    h.start_dispatcher();
    let rx = Receiver::start_with(Behaviour::FailFirst(1)).await;
    let job = h.create_job(callback(&rx.url(), &[EventKind::Page])).await;
    h.publish(vec![page(job, "/answered", "x")]).await;
    let entries = wait_log(&h, job, 2).await;
    let planned = entries[0]["retryInMs"].as_u64().unwrap();
    assert!(
        (1200..=1800).contains(&planned),
        "a 500 is no connection failure: {planned}"
    );
    assert_eq!(entries[1]["outcome"], "delivered");
}

async fn wait_log(h: &Harness, job: crawler_core::JobId, n: usize) -> Vec<Value> {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let page = h
            .get_json(&format!("/v1/crawls/{job}/deliveries?state=all"))
            .await;
        let entries = page["attempts"].as_array().unwrap().clone();
        if entries.len() >= n {
            return entries;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "fewer than {n} attempts: {page}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_summary_waits_until_every_page_event_is_delivered_or_dead_lettered() {
    let _machine = crate::beside_others().await;
    let mut h = Harness::new(|s| s.webhook_retry_schedule = "300ms,300ms".into()).await;
    h.start_dispatcher();
    // Page events always fail: each is tried three times and dead-lettered.
    let rx = Receiver::start_with(Behaviour::FailEvent("crawl.page")).await;
    let job = h
        .create_job(callback(&rx.url(), &EventKind::defaults()))
        .await;
    let paths = ["/d1", "/d2"];
    h.publish(vec![summary(job, &paths)]).await;
    h.publish(paths.iter().map(|p| page(job, p, "x")).collect())
        .await;

    let received = rx
        .wait_until(WAIT, "the summary", |r| {
            r.iter().any(|r| r.event() == "crawl.finished")
        })
        .await;
    let summary_at = received
        .iter()
        .position(|r| r.event() == "crawl.finished")
        .unwrap();
    let page_tries = received[..summary_at]
        .iter()
        .filter(|r| r.event() == "crawl.page")
        .count();
    assert_eq!(
        page_tries, 6,
        "every try of every page came before the summary"
    );
    let failed = h.get_json(&format!("/v1/crawls/{job}/deliveries")).await;
    assert_eq!(failed["deliveries"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_summary_is_held_at_most_summary_hold_max() {
    let _machine = crate::beside_others().await;
    let mut h = Harness::new(|s| s.summary_hold_max = "2s".into()).await;
    h.start_dispatcher();
    let rx = Receiver::start().await;
    let job = h
        .create_job(callback(&rx.url(), &EventKind::defaults()))
        .await;
    // The summary counts two pages; only one page event ever comes.
    let sent = h.publish(vec![summary(job, &["/here", "/lost"])]).await;
    h.publish(vec![page(job, "/here", "x")]).await;
    rx.wait_accepted(1, WAIT).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(
        rx.received().len(),
        1,
        "the summary waits for the missing page"
    );

    let got = rx
        .wait_until(WAIT, "the summary", |r| {
            r.iter().any(|r| r.event() == "crawl.finished")
        })
        .await;
    let summary = got.iter().find(|r| r.event() == "crawl.finished").unwrap();
    assert_eq!(
        summary.header("webhook-id"),
        Some(sent[0].event_id.as_str())
    );
    let log = wait_log(&h, job, 2).await;
    let sent_at = log
        .iter()
        .find(|e| e["event"] == "crawl.finished")
        .and_then(|e| e["atMs"].as_u64())
        .unwrap();
    let held_ms = sent_at - sent[0].created_at_ms;
    assert!(
        held_ms >= 2_000,
        "sent after the hold, not before ({held_ms} ms)"
    );
}
