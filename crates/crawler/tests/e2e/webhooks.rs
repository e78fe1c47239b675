//! End-to-end tests of webhook delivery: the dispatcher on the real RabbitMQ and Redis,
//! receivers on loopback, events published the way fetcher workers publish them. Each test
//! has its own namespace; signatures are checked with an independent implementation.

mod delivery_log;
mod deployments;
mod endpoints;
mod flow;
mod harness;
mod scrapfly;

use std::time::Duration;

use crawler_core::time::now_ms;
use crawler_core::{EventKind, PayloadMode, StartedEvent, WebhookEvent};
use crawler_testkit::receiver::{signature_is_valid, Behaviour, Receiver};

use self::harness::{callback, page, summary, Harness, SECRET, WAIT};

#[tokio::test]
async fn every_event_is_signed_filtered_and_carries_custom_headers() {
    let _machine = crate::beside_others().await;
    let mut h = Harness::new(|_| {}).await;
    h.start_dispatcher();
    let rx = Receiver::start_with(Behaviour::Ok).await;
    let mut hook = callback(&rx.url(), &[EventKind::Page, EventKind::Summary]);
    hook.headers = [
        ("Authorization", "Bearer token-1"),
        ("Content-Type", "text/plain"),
        ("webhook-signature", "v1,forged"),
        ("Webhook-Id", "forged"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let job = h.create_job(hook).await;

    let started = WebhookEvent::Started(StartedEvent {
        job_id: job,
        start_url: "http://site.test/".into(),
        meta: serde_json::Value::Null,
    });
    let sent = h
        .publish(vec![
            started,
            page(job, "/a", "<p>a</p>"),
            page(job, "/b", "<p>b</p>"),
            summary(job, &["/a", "/b"]),
        ])
        .await;

    let got = rx.wait_accepted(3, WAIT).await;
    // Give a filtered-out event time to show up if it were (wrongly) sent.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let got_all = rx.received();
    assert_eq!(got_all.len(), 3, "crawl.started is filtered out");
    let mut kinds: Vec<String> = got.iter().map(|r| r.event()).collect();
    kinds.sort();
    assert_eq!(kinds, ["crawl.finished", "crawl.page", "crawl.page"]);

    let now = now_ms() / 1000;
    for request in &got {
        assert!(signature_is_valid(SECRET, request), "bad signature");
        let id = request.header("webhook-id").unwrap_or("");
        let envelope = sent
            .iter()
            .find(|e| e.event_id == id)
            .expect("webhook-id is the event id");
        assert_eq!(request.json()["event"], envelope.event.kind().as_str());
        let timestamp: u64 = request
            .header("webhook-timestamp")
            .unwrap_or("")
            .parse()
            .unwrap();
        assert!(
            timestamp.abs_diff(now) < 60,
            "timestamp {timestamp} vs {now}"
        );
        assert_eq!(request.header("content-type"), Some("application/json"));
        assert_eq!(request.header("authorization"), Some("Bearer token-1"));
        assert_eq!(
            request.header("x-crawler-job-id"),
            Some(job.to_string().as_str())
        );
        assert!(request
            .header("user-agent")
            .is_some_and(|ua| ua.starts_with("crawler-webhooks/")));
        assert_eq!(
            request.headers.get_all("webhook-signature").iter().count(),
            1
        );
    }
    let page_a = got
        .iter()
        .find(|r| r.json()["url"] == "http://site.test/a")
        .unwrap();
    assert_eq!(page_a.json()["response"]["body"], "<p>a</p>");
    assert_eq!(page_a.json()["currentDepth"], 1);
}

#[tokio::test]
async fn a_receiver_failing_twice_gets_the_event_on_the_third_attempt_with_the_same_id() {
    let _machine = crate::beside_others().await;
    let mut h = Harness::new(|s| s.webhook_retry_schedule = "200ms,200ms,200ms".into()).await;
    h.start_dispatcher();
    let rx = Receiver::start_with(Behaviour::FailFirst(2)).await;
    let job = h
        .create_job(callback(&rx.url(), &EventKind::defaults()))
        .await;
    let sent = h.publish(vec![page(job, "/retry", "x")]).await;

    rx.wait_accepted(1, WAIT).await;
    let all = rx.received();
    assert_eq!(
        all.iter().map(|r| r.status).collect::<Vec<_>>(),
        [500, 500, 200]
    );
    assert!(all
        .iter()
        .all(|r| r.header("webhook-id") == Some(sent[0].event_id.as_str())));
    assert!(all.iter().all(|r| signature_is_valid(SECRET, r)));

    let attempts = h.deliveries.attempts(job, &sent[0].event_id).await.unwrap();
    let numbers: Vec<(u32, Option<u16>)> = attempts
        .iter()
        .map(|a| (a.attempt, a.status_code))
        .collect();
    assert_eq!(numbers, [(1, Some(500)), (2, Some(500)), (3, Some(200))]);
    // Broker-held delays: the retries come at least a schedule step apart.
    assert!(attempts[1].at_ms - attempts[0].at_ms >= 150, "{attempts:?}");
}

#[tokio::test]
async fn exhausted_events_are_listed_with_every_attempt_and_replay_delivers_them() {
    let _machine = crate::beside_others().await;
    let mut h = Harness::new(|s| s.webhook_retry_schedule = "100ms,100ms".into()).await;
    h.start_dispatcher();
    let rx = Receiver::start_with(Behaviour::Always(503)).await;
    let job = h
        .create_job(callback(&rx.url(), &EventKind::defaults()))
        .await;
    let sent = h.publish(vec![page(job, "/dead", "x")]).await;

    let path = format!("/v1/crawls/{job}/deliveries?state=failed");
    let listing = wait_for_dead_letters(&h, &path, 1).await;
    let delivery = &listing["deliveries"][0];
    assert_eq!(delivery["eventId"], sent[0].event_id.as_str());
    assert_eq!(delivery["event"], "crawl.page");
    assert_eq!(delivery["url"], "http://site.test/dead");
    assert_eq!(delivery["reason"], "exhausted");
    let attempts = delivery["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 3, "first try and two retries: {delivery}");
    for (i, attempt) in attempts.iter().enumerate() {
        assert_eq!(attempt["attempt"], i as u64 + 1);
        assert_eq!(attempt["statusCode"], 503);
        assert_eq!(attempt["error"], "http_503");
        assert!(attempt["atMs"].as_u64().unwrap() > 0);
    }
    assert_eq!(rx.received().len(), 3);

    rx.set_behaviour(Behaviour::Ok);
    let replay = h
        .post_json(
            &format!("/v1/crawls/{job}/deliveries/replay"),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(replay["replayed"], 1);
    let got = rx.wait_accepted(1, WAIT).await;
    assert_eq!(got[0].header("webhook-id"), Some(sent[0].event_id.as_str()));
    assert!(signature_is_valid(SECRET, &got[0]));
    let listing = h.get_json(&path).await;
    assert_eq!(listing["deliveries"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn a_disabled_endpoint_dead_letters_without_requests_until_reenabled_and_replayed() {
    let _machine = crate::beside_others().await;
    let mut h = Harness::new(|s| {
        s.webhook_retry_schedule = "100ms".into();
        s.webhook_disable_after = 2;
    })
    .await;
    h.start_dispatcher();
    let rx = Receiver::start_with(Behaviour::Always(500)).await;
    let job = h
        .create_job(callback(&rx.url(), &EventKind::defaults()))
        .await;

    // Two failed attempts of the first event disable the endpoint.
    let first = h.publish(vec![page(job, "/one", "1")]).await;
    let path = format!("/v1/crawls/{job}/deliveries?state=failed");
    wait_for_dead_letters(&h, &path, 1).await;
    assert_eq!(rx.received().len(), 2);
    assert!(
        h.deliveries
            .endpoint_health(&h.inline_endpoint(&rx.url()))
            .await
            .unwrap()
            .disabled
    );

    // Later events go straight to the dead letters, without a request.
    let later = h
        .publish(vec![page(job, "/two", "2"), page(job, "/three", "3")])
        .await;
    let listing = wait_for_dead_letters(&h, &path, 3).await;
    assert_eq!(rx.received().len(), 2, "no request to a disabled endpoint");
    let skipped: Vec<&serde_json::Value> = listing["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["reason"] == "endpoint_disabled")
        .collect();
    assert_eq!(skipped.len(), 2);
    assert!(skipped
        .iter()
        .all(|d| d["attempts"].as_array().unwrap().is_empty()));
    // The delivery log shows the disable: two failed requests, then two events refused.
    let log = h
        .get_json(&format!("/v1/crawls/{job}/deliveries?state=all"))
        .await;
    let outcomes: Vec<&str> = log["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes,
        [
            "retrying",
            "exhausted",
            "endpoint_disabled",
            "endpoint_disabled"
        ]
    );

    rx.set_behaviour(Behaviour::Ok);
    let answer = h
        .post_json(
            "/v1/webhooks/reenable",
            serde_json::json!({"url": rx.url()}),
        )
        .await;
    assert_eq!(answer["wasDisabled"], true);
    let replay = h
        .post_json(
            &format!("/v1/crawls/{job}/deliveries/replay"),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(replay["replayed"], 3);
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
}

#[tokio::test]
async fn the_summary_waits_until_the_page_events_it_overtook_are_delivered() {
    let _machine = crate::beside_others().await;
    let mut h = Harness::new(|s| s.webhook_retry_schedule = "1s".into()).await;
    h.start_dispatcher();
    // Every first attempt fails, so each page waits in its retry delay: the summary must
    // wait for the retries too, not only for the first attempts.
    let rx = Receiver::start_with(Behaviour::FailFirst(1)).await;
    let job = h
        .create_job(callback(&rx.url(), &EventKind::defaults()))
        .await;
    let paths = ["/p1", "/p2", "/p3"];

    // The summary is published first, as if it had overtaken its pages in the queue.
    h.publish(vec![summary(job, &paths)]).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(rx.received().is_empty(), "the summary went before any page");
    h.publish(paths.iter().map(|p| page(job, p, "x")).collect())
        .await;

    let received = rx
        .wait_until(WAIT, "the summary", |r| {
            r.iter()
                .any(|r| r.event() == "crawl.finished" && r.status == 200)
        })
        .await;
    let summary_at = received
        .iter()
        .position(|r| r.event() == "crawl.finished")
        .unwrap();
    let mut delivered_before: Vec<String> = received[..summary_at]
        .iter()
        .filter(|r| r.event() == "crawl.page" && r.status == 200)
        .map(|r| r.json()["url"].as_str().unwrap().to_string())
        .collect();
    delivered_before.sort();
    assert_eq!(
        delivered_before,
        paths.map(|p| format!("http://site.test{p}")),
        "every page was delivered before the summary was first sent"
    );
}

#[tokio::test]
async fn large_bodies_are_left_out_with_a_link_and_thin_payloads_carry_none() {
    let _machine = crate::beside_others().await;
    let mut h = Harness::new(|s| s.webhook_inline_body_limit = 1_000).await;
    h.start_dispatcher();
    let rx = Receiver::start_with(Behaviour::Ok).await;
    let full_job = h.create_job(callback(&rx.url(), &[EventKind::Page])).await;
    let mut thin = callback(&rx.url(), &[EventKind::Page]);
    thin.payload = PayloadMode::Thin;
    let thin_job = h.create_job(thin).await;

    let big = "<p>".to_string() + &"y".repeat(5_000) + "</p>";
    h.publish(vec![
        page(full_job, "/small", "small body"),
        page(full_job, "/big?q=1&r=2", &big),
        page(thin_job, "/thin", "short but thin"),
    ])
    .await;
    let got = rx.wait_accepted(3, WAIT).await;
    let by_url = |url: &str| {
        got.iter()
            .map(|r| r.json())
            .find(|j| j["url"] == url)
            .unwrap_or_else(|| panic!("no event for {url}"))
    };

    let small = by_url("http://site.test/small");
    assert_eq!(small["response"]["body"], "small body");
    assert!(small["response"].get("bodyTruncated").is_none());

    let large = by_url("http://site.test/big?q=1&r=2");
    assert_eq!(large["response"]["bodyTruncated"], true);
    assert_eq!(large["response"]["bodySize"], big.len() as u64);
    assert!(large["response"].get("body").is_none());
    let link = large["response"]["bodyUrl"].as_str().unwrap();
    assert!(
        link.starts_with(&format!("{}/v1/crawls/{full_job}/pages?url=", h.api_base)),
        "{link}"
    );
    let fetched = h.http.get(link).send().await.unwrap();
    // The site's HTML is a download on the API's origin, never a page a browser renders.
    let served = fetched.headers();
    assert_eq!(served["content-type"], "application/octet-stream");
    assert_eq!(served["x-original-content-type"], "text/html");
    assert_eq!(served["content-disposition"], "attachment");
    assert_eq!(served["x-content-type-options"], "nosniff");
    assert_eq!(served["content-security-policy"], "sandbox");
    assert_eq!(fetched.text().await.unwrap(), big);

    let thin = by_url("http://site.test/thin");
    assert_eq!(thin["response"]["bodyTruncated"], true);
    assert!(thin["response"].get("body").is_none());
    let link = thin["response"]["bodyUrl"].as_str().unwrap();
    assert_eq!(
        h.http.get(link).send().await.unwrap().text().await.unwrap(),
        "short but thin"
    );
}

async fn wait_for_dead_letters(h: &Harness, path: &str, n: usize) -> serde_json::Value {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let listing = h.get_json(path).await;
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
