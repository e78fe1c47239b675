//! The `scraperapi_async` profile: ScraperAPI's Async API callbacks. An async job calls
//! back once, with its status object (`id`, `status`, `statusUrl`, `url`, `attempts`,
//! `meta`, `response`, `failReason`): the same object `GET /v1/jobs/{id}` answers, built by
//! the same code (`crawler_core::AsyncStatus`), so a receiver can treat the two alike.
//! Signed like every other delivery (Standard Webhooks headers). The coordinator chooses
//! it for the callbacks of `fetch` and `batch` jobs; only page events are delivered.

use crawler_core::{AsyncStatus, EventKind, WebhookEvent};

use super::{Body, Compression, DeliveryProfile, Encoding, SigningScheme};

pub static PROFILE: DeliveryProfile = DeliveryProfile {
    name: "scraperapi_async",
    events: &[(EventKind::Page, "async.job")],
    shape,
    encoding: Encoding::Json,
    compression: Compression::None,
    signing: SigningScheme::StandardWebhooks,
    headers: &[],
    retry_schedule: None,
    timeout: None,
    endpoint_context: None,
};

/// The page event as its async job's status object. A page event of a crawl (which this
/// profile is never chosen for) is sent as it is rather than lost.
fn shape(event: WebhookEvent) -> Body {
    match event {
        WebhookEvent::Page(page) => {
            let fallback = page.clone();
            match AsyncStatus::of_page(page) {
                Some(status) => Body::Value(serde_json::to_value(status).unwrap_or_default()),
                None => Body::Event(Box::new(WebhookEvent::Page(fallback))),
            }
        }
        other => Body::Event(Box::new(other)),
    }
}

#[cfg(test)]
mod tests {
    use crawler_core::{AsyncOptions, JobId, PageEvent, PageResponse};

    use super::*;

    #[test]
    fn a_page_becomes_its_status_object() {
        let job = JobId::generate_for_items();
        let options = AsyncOptions {
            expect_unsuccess_report: true,
            method: "GET".into(),
            body: None,
            status_url_base: "http://api.test/v1/jobs".into(),
        };
        let reference = options.reference(job, 2);
        let page = PageEvent {
            job_id: job,
            url: "http://a.test/x".into(),
            final_url: None,
            status: "failed".into(),
            credits: 0,
            attempts: 4,
            start_url: "http://a.test/".into(),
            current_depth: 0,
            current_cost: 0,
            fail_reason: Some("http_500".into()),
            response: Some(PageResponse {
                status_code: 500,
                body: Some("oops".into()),
                body_size: 4,
                ..Default::default()
            }),
            meta: serde_json::json!({"k": "v"}),
            async_job: Some(reference.clone()),
        };
        let Body::Value(body) = shape(WebhookEvent::Page(page)) else {
            panic!("a status object");
        };
        assert_eq!(body["id"], reference.id.to_string());
        assert_eq!(body["statusUrl"], reference.status_url);
        assert_eq!(body["status"], "failed");
        assert_eq!(body["attempts"], 4);
        assert_eq!(body["failReason"], "http_500");
        assert_eq!(body["response"]["statusCode"], 500);
        assert_eq!(body["response"]["body"], "oops");
        assert_eq!(body["meta"]["k"], "v");
        assert!(body.get("event").is_none() && body.get("jobId").is_none());
    }

    #[test]
    fn delivers_page_events_only() {
        assert!(PROFILE.delivers(EventKind::Page));
        assert!(!PROFILE.delivers(EventKind::Summary));
        assert!(!PROFILE.delivers(EventKind::Started));
    }
}
