//! The standard profile's requests, checked against the wire format the dispatcher sent
//! before profiles existed. Every expectation is computed here by hand (JSON literals,
//! the HMAC computed directly), not with the code under test.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use crawler_core::{
    CompletedUrl, EventEnvelope, EventKind, FailedUrl, JobId, JobState, PageEvent, PageResponse,
    PayloadMode, StopReason, SummaryEvent, WebhookEvent,
};
use hmac::{Hmac, Mac};
use reqwest::header::HeaderMap;
use sha2::Sha256;

use super::*;
use crate::profiles;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const TIMESTAMP: u64 = 1_700_000_000;
const NIL: &str = "00000000-0000-0000-0000-000000000000";

/// A standard target wanting every kind, with one custom header.
pub(crate) fn target() -> Target {
    let tenant = crawler_deliveries::Tenant::default();
    Target {
        endpoint: crawler_deliveries::EndpointKey::inline(&tenant, "http://hooks.test/in"),
        tenant,
        name: None,
        url: "http://hooks.test/in".into(),
        secret: SECRET.into(),
        headers: [("Authorization".to_string(), "Bearer t".to_string())].into(),
        events: vec![EventKind::Started, EventKind::Page, EventKind::Summary],
        payload: PayloadMode::Full,
        profile: profiles::standard(),
        encoding: crate::encoding::Encoding::Json,
        compression: crate::encoding::Compression::None,
        retry_schedule: None,
        timeout: None,
        consecutive_failures: 0,
        attempts: None,
    }
}

fn envelope(event_id: &str, event: WebhookEvent) -> EventEnvelope {
    EventEnvelope {
        event_id: event_id.into(),
        job_id: JobId(uuid::Uuid::nil()),
        attempt: 2,
        quick_retries: 0,
        created_at_ms: 0,
        event,
    }
}

fn page_event() -> WebhookEvent {
    WebhookEvent::Page(PageEvent {
        job_id: JobId(uuid::Uuid::nil()),
        url: "http://site.test/a".into(),
        final_url: None,
        status: "finished".into(),
        credits: 1,
        attempts: 1,
        start_url: "http://site.test/".into(),
        current_depth: 1,
        current_cost: 2,
        fail_reason: None,
        response: Some(PageResponse {
            status_code: 200,
            headers: [("content-type".to_string(), "text/html".to_string())].into(),
            body: Some("<p>hi</p>".into()),
            body_size: 9,
            ..Default::default()
        }),
        meta: serde_json::json!({"ref": "x"}),
        async_job: None,
    })
}

fn summary_event() -> WebhookEvent {
    WebhookEvent::Summary(SummaryEvent {
        job_id: JobId(uuid::Uuid::nil()),
        job_state: JobState::Finished,
        job_cost: 2,
        completed: vec![
            CompletedUrl {
                url: "http://site.test/".into(),
                cost: 1,
            },
            CompletedUrl {
                url: "http://site.test/a".into(),
                cost: 1,
            },
        ],
        cancelled: vec!["http://site.test/c".into()],
        failed: vec![FailedUrl {
            url: "http://site.test/b".into(),
            fail_reason: "http_404".into(),
        }],
        crawl_budget: Some(10),
        stop_reason: StopReason::Exhausted,
        start_url: "http://site.test/".into(),
        meta: serde_json::Value::Null,
        finished_at: Some(1_700_000_000_000),
        round: 0,
        name: None,
        custom_id: None,
    })
}

/// `v1,base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}"))`, the key being the base64
/// after `whsec_`.
fn standard_signature(id: &str, timestamp: u64, body: &[u8]) -> String {
    let key = STANDARD
        .decode(SECRET.trim_start_matches("whsec_"))
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

fn pairs(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(n, v)| (n.as_str().to_string(), v.to_str().unwrap().to_string()))
        .collect()
}

/// The headers the dispatcher sent, in the order it sent them.
fn standard_headers(id: &str, body: &[u8]) -> Vec<(String, String)> {
    let user_agent = format!(
        "crawler-webhooks/{} (+https://github.com/crawler-rs/crawler)",
        env!("CARGO_PKG_VERSION")
    );
    [
        ("authorization", "Bearer t".to_string()),
        ("webhook-id", id.to_string()),
        ("webhook-timestamp", TIMESTAMP.to_string()),
        ("webhook-signature", standard_signature(id, TIMESTAMP, body)),
        ("x-crawler-job-id", NIL.to_string()),
        ("content-type", "application/json".to_string()),
        ("user-agent", user_agent),
    ]
    .into_iter()
    .map(|(n, v)| (n.to_string(), v))
    .collect()
}

/// Runs select, shape and prepare as the dispatcher does.
fn standard_request(target: &Target, envelope: &EventEnvelope) -> (shape::Shaped, Request) {
    assert!(select(target, envelope.event.kind()));
    let shaped = shape(target, &envelope.event, 1 << 20, "http://api.test/");
    let request = prepare(target, envelope, &shaped.body, TIMESTAMP).unwrap();
    (shaped, request)
}

#[test]
fn a_standard_page_event_is_the_json_of_the_event_signed_as_before() {
    let envelope = envelope("evt_page", page_event());
    let (shaped, request) = standard_request(&target(), &envelope);
    assert!(shaped.stored_body.is_none());
    let expected = format!(
        concat!(
            r#"{{"event":"crawl.page","jobId":"{nil}","url":"http://site.test/a","#,
            r#""status":"finished","credits":1,"attempts":1,"startUrl":"http://site.test/","#,
            r#""currentDepth":1,"currentCost":2,"response":{{"statusCode":200,"#,
            r#""headers":{{"content-type":"text/html"}},"body":"<p>hi</p>","bodySize":9}},"#,
            r#""meta":{{"ref":"x"}}}}"#
        ),
        nil = NIL
    );
    assert_eq!(String::from_utf8(request.body.clone()).unwrap(), expected);
    assert_eq!(request.body, serde_json::to_vec(&envelope.event).unwrap());
    assert_eq!(
        pairs(&request.headers),
        standard_headers("evt_page", &request.body)
    );
}

#[test]
fn a_thin_standard_page_event_links_its_body_as_before() {
    let mut target = target();
    target.payload = PayloadMode::Thin;
    let envelope = envelope("evt_thin", page_event());
    let (shaped, request) = standard_request(&target, &envelope);
    let stored = shaped.stored_body.expect("the body is stored");
    assert_eq!(stored.body.as_deref(), Some("<p>hi</p>"));
    let expected = format!(
        concat!(
            r#"{{"event":"crawl.page","jobId":"{nil}","url":"http://site.test/a","#,
            r#""status":"finished","credits":1,"attempts":1,"startUrl":"http://site.test/","#,
            r#""currentDepth":1,"currentCost":2,"response":{{"statusCode":200,"#,
            r#""headers":{{"content-type":"text/html"}},"bodyTruncated":true,"bodySize":9,"#,
            r#""bodyUrl":"http://api.test/v1/crawls/{nil}/pages?url=http%3A%2F%2Fsite.test%2Fa"}},"#,
            r#""meta":{{"ref":"x"}}}}"#
        ),
        nil = NIL
    );
    assert_eq!(String::from_utf8(request.body.clone()).unwrap(), expected);
    assert_eq!(
        pairs(&request.headers),
        standard_headers("evt_thin", &request.body)
    );
}

#[test]
fn a_standard_summary_is_the_json_of_the_event_signed_as_before() {
    let envelope = envelope("evt_summary", summary_event());
    let (shaped, request) = standard_request(&target(), &envelope);
    assert!(shaped.stored_body.is_none());
    let expected = format!(
        concat!(
            r#"{{"event":"crawl.finished","jobId":"{nil}","jobState":"finished","jobCost":2,"#,
            r#""completed":[{{"url":"http://site.test/","cost":1}},"#,
            r#"{{"url":"http://site.test/a","cost":1}}],"cancelled":["http://site.test/c"],"#,
            r#""failed":[{{"url":"http://site.test/b","failReason":"http_404"}}],"#,
            r#""crawlBudget":10,"stopReason":"exhausted","startUrl":"http://site.test/","#,
            r#""meta":null,"finishedAt":1700000000000}}"#
        ),
        nil = NIL
    );
    assert_eq!(String::from_utf8(request.body.clone()).unwrap(), expected);
    assert_eq!(request.body, serde_json::to_vec(&envelope.event).unwrap());
    assert_eq!(
        pairs(&request.headers),
        standard_headers("evt_summary", &request.body)
    );
}

#[test]
fn a_bad_secret_fails_the_attempt_with_the_old_message() {
    let mut target = target();
    target.secret = "whsec_not base64!".into();
    let envelope = envelope("evt", summary_event());
    let shaped = shape(&target, &envelope.event, 1 << 20, "http://api.test");
    let error = prepare(&target, &envelope, &shaped.body, TIMESTAMP).unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid_secret: webhook secret is not base64 after `whsec_`"
    );
}

#[test]
fn a_scrapfly_request_names_its_endpoint_in_headers_and_context_and_is_signed() {
    let mut target = target();
    target.profile = profiles::profile("scrapfly").expect("the scrapfly profile");
    target.tenant = crawler_deliveries::Tenant::new("shop", "test");
    target.name = Some("orders".into());
    target.consecutive_failures = 4;
    // A custom header cannot pose as the endpoint's identity.
    target
        .headers
        .insert("X-Scrapfly-Webhook-Secret".into(), "forged".into());
    let envelope = envelope("evt_page", page_event());
    let shaped = shape(&target, &envelope.event, 1 << 20, "http://api.test");
    let request = prepare(&target, &envelope, &shaped.body, TIMESTAMP).unwrap();
    let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(body["event"], "crawl.page");
    assert_eq!(body["response"]["body"], "<p>hi</p>");
    assert_eq!(
        body["context"]["webhook"],
        serde_json::json!({"name": "orders", "consecutive_failed_count": 4})
    );
    let headers = &request.headers;
    assert_eq!(headers["x-scrapfly-webhook-env"], "test");
    assert_eq!(headers["x-scrapfly-webhook-project"], "shop");
    assert_eq!(headers["x-scrapfly-webhook-name"], "orders");
    assert_eq!(
        headers.get_all("x-scrapfly-webhook-secret").iter().count(),
        1
    );
    assert_eq!(headers["x-scrapfly-webhook-secret"], SECRET);
    let expected = standard_headers("evt_page", &request.body);
    let signature = expected.iter().find(|(n, _)| n == "webhook-signature");
    assert_eq!(
        headers["webhook-signature"].to_str().unwrap(),
        signature.unwrap().1,
        "the Standard Webhooks signature covers the bytes sent"
    );
}
