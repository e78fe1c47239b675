//! The `webscraper` profile: WebScraper.io's finished-job notification
//! (<https://webscraper.io/documentation/webhooks>), so a receiver written for Web Scraper
//! Cloud works unchanged.
//!
//! - One notification per job, when it finished, was stopped (cancelled) or failed: a
//!   form POST (`application/x-www-form-urlencoded`) of `scrapingjob_id`, `status`
//!   (`finished`, `stopped` or `failed`), `sitemap_id`, `sitemap_name` and `custom_id`.
//!   Both ids are the job's id; the sitemap's name is the job's `name` (its start URL when
//!   it has none); `custom_id` is the job's.
//! - A job is `failed` when more than half of its pages failed (4xx, 5xx or network
//!   errors).
//! - The receiver has 10 s to answer 2xx; otherwise the notification is sent again after
//!   5 s, then after 10 s. A continued job (`POST /v1/crawls/{id}/continue`) ends with a
//!   fresh notification.

use std::time::Duration;

use crawler_core::{EventKind, JobState, SummaryEvent, WebhookEvent};
use serde_json::{json, Value};

use super::{Body, Compression, DeliveryProfile, Encoding, SigningScheme};

pub static PROFILE: DeliveryProfile = DeliveryProfile {
    name: "webscraper",
    events: &[(EventKind::Summary, "scraping_job.finished")],
    shape,
    encoding: Encoding::Form,
    compression: Compression::None,
    signing: SigningScheme::StandardWebhooks,
    headers: &[],
    retry_schedule: Some(&[Duration::from_secs(5), Duration::from_secs(10)]),
    timeout: Some(Duration::from_secs(10)),
    endpoint_context: None,
};

fn shape(event: WebhookEvent) -> Body {
    match event {
        WebhookEvent::Summary(summary) => Body::Value(notification(&summary)),
        // Only summaries are selected for this profile; anything else goes as it is.
        other => Body::Event(Box::new(other)),
    }
}

fn notification(summary: &SummaryEvent) -> Value {
    let id = summary.job_id.to_string();
    json!({
        "scrapingjob_id": id,
        "status": status(summary),
        "sitemap_id": id,
        "sitemap_name": summary.name.as_deref().unwrap_or(&summary.start_url),
        "custom_id": summary.custom_id.as_deref().unwrap_or(""),
    })
}

fn status(summary: &SummaryEvent) -> &'static str {
    match summary.job_state {
        JobState::Cancelled => "stopped",
        JobState::Failed => "failed",
        _ if summary.mostly_failed() => "failed",
        _ => "finished",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crawler_core::{CompletedUrl, FailedUrl, JobId, StopReason};

    fn summary(completed: usize, failed: usize) -> SummaryEvent {
        SummaryEvent {
            job_id: JobId(uuid::Uuid::nil()),
            job_state: JobState::Finished,
            job_cost: completed as u64,
            completed: (0..completed)
                .map(|n| CompletedUrl {
                    url: format!("http://site.test/ok{n}"),
                    cost: 1,
                })
                .collect(),
            cancelled: vec![],
            failed: (0..failed)
                .map(|n| FailedUrl {
                    url: format!("http://site.test/bad{n}"),
                    fail_reason: "http_500".into(),
                })
                .collect(),
            crawl_budget: None,
            stop_reason: StopReason::Exhausted,
            start_url: "http://site.test/".into(),
            meta: Value::Null,
            finished_at: None,
            round: 0,
            name: Some("my-sitemap".into()),
            custom_id: Some("custom-12".into()),
        }
    }

    #[test]
    fn the_notification_has_web_scraper_s_fields() {
        let body = match shape(WebhookEvent::Summary(summary(2, 1))) {
            Body::Value(v) => v,
            Body::Event(_) => panic!("a summary becomes a notification"),
        };
        let nil = uuid::Uuid::nil().to_string();
        assert_eq!(
            body,
            json!({"scrapingjob_id": nil, "status": "finished", "sitemap_id": nil,
                   "sitemap_name": "my-sitemap", "custom_id": "custom-12"})
        );
        let form = Encoding::Form.encode(&Body::Value(body)).unwrap();
        assert!(String::from_utf8(form).unwrap().contains("status=finished"));
    }

    #[test]
    fn more_than_half_failed_is_failed_and_cancelled_is_stopped() {
        assert_eq!(status(&summary(1, 1)), "finished");
        assert_eq!(status(&summary(1, 2)), "failed");
        let mut cancelled = summary(3, 0);
        cancelled.job_state = JobState::Cancelled;
        assert_eq!(status(&cancelled), "stopped");
    }

    #[test]
    fn only_the_summary_goes_with_web_scraper_s_timing() {
        assert!(PROFILE.delivers(EventKind::Summary));
        assert!(!PROFILE.delivers(EventKind::Page));
        assert!(!PROFILE.delivers(EventKind::Started));
        assert_eq!(PROFILE.timeout, Some(Duration::from_secs(10)));
        assert_eq!(
            PROFILE.retry_schedule,
            Some(&[Duration::from_secs(5), Duration::from_secs(10)][..])
        );
        assert!(PROFILE.accepts(Encoding::Form) && PROFILE.accepts(Encoding::Json));
    }
}
