//! The delivery log and redelivery, over the real RabbitMQ and Redis: every attempt
//! (failed or not) is recorded with its status, duration and the start of the answer, and
//! paged through with a cursor per job and per endpoint; one event can be sent again.

use std::collections::BTreeMap;

use crawler_core::EventKind;
use crawler_deliveries::{EndpointKey, LogCursor, Tenant};
use crawler_testkit::receiver::{signature_is_valid, Behaviour, Receiver};
use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::harness::{callback, page, summary, Harness, SECRET, WAIT};

/// Follows `path`'s cursor three entries at a time until the log has `n` entries.
async fn read_log(h: &Harness, path: &str, n: usize) -> Vec<Value> {
    let deadline = std::time::Instant::now() + WAIT;
    let mut entries = Vec::new();
    let mut cursor = String::new();
    let separator = if path.contains('?') { '&' } else { '?' };
    while entries.len() < n {
        let page = h
            .get_json(&format!("{path}{separator}limit=3&cursor={cursor}"))
            .await;
        let got = page["attempts"].as_array().expect("attempts").clone();
        assert!(got.len() <= 3, "a page holds at most its limit: {page}");
        entries.extend(got);
        cursor = page["nextCursor"].as_str().expect("nextCursor").to_string();
        if page["hasMore"] == false {
            assert!(
                std::time::Instant::now() < deadline,
                "log short of {n}: {entries:?}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
    entries
}

#[tokio::test]
async fn every_attempt_is_logged_and_paged_with_a_cursor_per_job_and_per_endpoint() {
    let _machine = crate::beside_others().await;
    let mut h = Harness::new(|s| s.webhook_retry_schedule = "200ms,200ms".into()).await;
    h.start_dispatcher();
    let rx = Receiver::start_with(Behaviour::FailFirst(1)).await;
    let job = h
        .create_job(callback(&rx.url(), &EventKind::defaults()))
        .await;
    let paths = ["/l1", "/l2", "/l3"];
    let mut events: Vec<_> = paths.iter().map(|p| page(job, p, "x")).collect();
    events.push(summary(job, &paths));
    let sent = h.publish(events).await;

    // Each event fails once, then is delivered: eight attempts, all in the job's log.
    let path = format!("/v1/crawls/{job}/deliveries?state=all");
    let entries = read_log(&h, &path, 8).await;
    assert_eq!(entries.len(), 8, "{entries:?}");
    let sequences: Vec<u64> = entries
        .iter()
        .map(|e| e["sequence"].as_u64().unwrap())
        .collect();
    assert_eq!(
        sequences,
        (1..=8).collect::<Vec<_>>(),
        "each entry once, in order"
    );
    let mut by_event: BTreeMap<&str, Vec<&Value>> = BTreeMap::new();
    for entry in &entries {
        by_event
            .entry(entry["deliveryId"].as_str().unwrap())
            .or_default()
            .push(entry);
    }
    assert_eq!(by_event.len(), sent.len());
    for envelope in &sent {
        let tries = &by_event[envelope.event_id.as_str()];
        let id = &envelope.event_id;
        let (failed, delivered) = (tries[0], tries[1]);
        assert_eq!(failed["attempt"], 1);
        assert_eq!(failed["statusCode"], 500);
        assert_eq!(failed["error"], "http_500");
        assert_eq!(failed["outcome"], "retrying");
        assert_eq!(failed["responseBody"], format!("answer 1 to {id}"));
        let retry_in = failed["retryInMs"].as_u64().unwrap();
        assert!((160..=240).contains(&retry_in), "{failed}");
        assert_eq!(delivered["attempt"], 2);
        assert_eq!(delivered["statusCode"], 200);
        assert_eq!(delivered["outcome"], "delivered");
        assert_eq!(delivered["responseBody"], format!("answer 2 to {id}"));
        assert!(delivered.get("error").is_none());
        assert!(
            delivered["durationMs"].is_u64()
                && delivered["atMs"].as_u64() > failed["atMs"].as_u64()
        );
        assert_eq!(delivered["endpointUrl"], rx.url());
        assert_eq!(delivered["event"], envelope.event.kind().as_str());
    }
    assert_eq!(
        by_event[sent[0].event_id.as_str()][0]["url"],
        "http://site.test/l1"
    );
    // Nothing was dead-lettered: the failed listing answers as before.
    let failed = h.get_json(&format!("/v1/crawls/{job}/deliveries")).await;
    assert_eq!(failed["state"], "failed");
    assert_eq!(failed["deliveries"].as_array().unwrap().len(), 0);

    // The endpoint's log holds the same attempts, in the same order.
    let endpoint = h.inline_endpoint(&rx.url());
    let mut cursor = LogCursor::start(5);
    let mut by_endpoint = Vec::new();
    loop {
        let page = h.deliveries.endpoint_log(&endpoint, cursor).await.unwrap();
        by_endpoint.extend(
            page.entries
                .iter()
                .map(|e| (e.delivery_id.clone(), e.attempt.attempt)),
        );
        cursor.after = page.next;
        if !page.has_more {
            break;
        }
    }
    let by_job: Vec<(String, u32)> = entries
        .iter()
        .map(|e| {
            (
                e["deliveryId"].as_str().unwrap().to_string(),
                e["attempt"].as_u64().unwrap() as u32,
            )
        })
        .collect();
    assert_eq!(by_endpoint, by_job);

    let (status, answer) = h
        .call_open(Method::GET, &format!("{path}&cursor=soon"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["error"]["field"], "cursor");
    let (status, answer) = h.call_open(Method::GET, &format!("{path}&limit=0")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["error"]["field"], "limit");
}

/// The dispatcher logs a named endpoint's attempts under `EndpointKey::named`, which is what
/// the route reads. Here the log is written as the dispatcher writes it, for the harness's
/// tenant and for another tenant's endpoint of the same name.
#[tokio::test]
async fn a_named_endpoint_s_log_is_paged_and_only_its_tenant_sees_it() {
    let _machine = crate::beside_others().await;
    let h = Harness::new(|_| {}).await;
    let job = h
        .create_job(callback("http://hook.test/in", &[EventKind::Page]))
        .await;
    h.post_json(
        "/v1/webhooks",
        serde_json::json!({"name": "orders", "url": "http://hook.test/in"}),
    )
    .await;
    let mine = EndpointKey::named(&h.tenant(), "orders");
    let theirs = EndpointKey::named(&Tenant::new("someone-else", "live"), "orders");
    for n in 1..=4u32 {
        h.deliveries
            .log_attempt(&mine, &entry(job, n))
            .await
            .unwrap();
    }
    h.deliveries
        .log_attempt(&theirs, &entry(job, 99))
        .await
        .unwrap();

    let entries = read_log(&h, "/v1/webhooks/orders/deliveries", 4).await;
    let ids: Vec<&str> = entries
        .iter()
        .map(|e| e["deliveryId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["msg_1", "msg_2", "msg_3", "msg_4"]);
    let (status, _) = h
        .call_open(Method::GET, "/v1/webhooks/unknown/deliveries")
        .await;
    assert_eq!(status, 404, "an endpoint the tenant does not have");
}

fn entry(job: crawler_core::JobId, n: u32) -> crawler_deliveries::LogEntry {
    crawler_deliveries::LogEntry {
        sequence: 0,
        delivery_id: format!("msg_{n}"),
        job_id: job,
        event: EventKind::Page,
        url: None,
        endpoint_url: "http://hook.test/in".into(),
        attempt: crawler_deliveries::Attempt {
            attempt: 1,
            at_ms: 1_000,
            status_code: Some(200),
            error: None,
            duration_ms: 5,
            response_body: None,
        },
        outcome: crawler_deliveries::LoggedOutcome::Delivered,
        retry_in_ms: None,
    }
}

#[tokio::test]
async fn redeliver_sends_one_event_again_signed_with_the_same_webhook_id() {
    let _machine = crate::beside_others().await;
    let mut h = Harness::new(|_| {}).await;
    h.start_dispatcher();
    let rx = Receiver::start().await;
    let job = h
        .create_job(callback(&rx.url(), &EventKind::defaults()))
        .await;
    let sent = h
        .publish(vec![page(job, "/again", "body"), page(job, "/once", "b")])
        .await;
    let first = rx.wait_accepted(2, WAIT).await;
    let id = sent[0].event_id.as_str();

    let answer = h
        .post_json(
            &format!("/v1/deliveries/{id}/redeliver"),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(answer["redelivered"], true);
    assert_eq!(answer["jobId"], job.to_string());
    let got = rx.wait_accepted(3, WAIT).await;
    let again = &got[2];
    assert_eq!(again.header("webhook-id"), Some(id));
    assert!(signature_is_valid(SECRET, again));
    let original = first
        .iter()
        .find(|r| r.header("webhook-id") == Some(id))
        .unwrap();
    assert_eq!(again.json(), original.json(), "the same event");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(rx.received().len(), 3, "only that event is sent again");
    let log = read_log(&h, &format!("/v1/crawls/{job}/deliveries?state=all"), 3).await;
    let delivered: Vec<&Value> = log.iter().filter(|e| e["deliveryId"] == id).collect();
    assert_eq!(delivered.len(), 2);
    assert!(delivered.iter().all(|e| e["outcome"] == "delivered"));

    // Unknown ids and other owners' events are not found.
    let (status, _) = h
        .call_open(Method::POST, "/v1/deliveries/msg_nope/redeliver")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let other = h
        .create_job_for("another-owner", callback(&rx.url(), &[EventKind::Page]))
        .await;
    let theirs = h.publish(vec![page(other, "/theirs", "t")]).await;
    rx.wait_accepted(4, WAIT).await;
    let path = format!("/v1/deliveries/{}/redeliver", theirs[0].event_id);
    let (status, _) = h.call_open(Method::POST, &path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
