//! The `hasdata` profile: what HasData's scraper-job webhooks send
//! (<https://docs.hasdata.com/scrapers/websites-crawler/webhooks>), so a receiver written
//! for them works unchanged.
//!
//! - Events `scraper.job.started`, `scraper.data.scraped` (one per page) and
//!   `scraper.job.finished`.
//! - A JSON body `{event, jobId, jobStatus, timestamp, data: [...]}`: `timestamp` is ISO
//!   8601; `data` holds the page for `scraper.data.scraped` (`url`, `statusCode`,
//!   `statusText`, `depth`, and the body, in the job's output format, as `text`), and is
//!   empty for the other two. The finished event adds `dataRowsCount` and `creditsSpent`.
//! - Three attempts (the first and two retries); the receiver authenticates requests by
//!   the custom headers the job sets, and may also check the Standard Webhooks signature.

use std::time::Duration;

use crawler_core::{EventKind, JobState, PageEvent, SummaryEvent, WebhookEvent};
use serde_json::{json, Value};

use super::{Body, Compression, DeliveryProfile, Encoding, SigningScheme};

pub static PROFILE: DeliveryProfile = DeliveryProfile {
    name: "hasdata",
    events: &[
        (EventKind::Started, STARTED),
        (EventKind::Page, SCRAPED),
        (EventKind::Summary, FINISHED),
    ],
    shape,
    encoding: Encoding::Json,
    compression: Compression::None,
    signing: SigningScheme::StandardWebhooks,
    headers: &[],
    // "retries automatically on failure (3 attempts)"; HasData does not say when, so
    // the two retries come after 10 s and 1 min.
    retry_schedule: Some(&[Duration::from_secs(10), Duration::from_secs(60)]),
    timeout: None,
    endpoint_context: None,
};

const STARTED: &str = "scraper.job.started";
const SCRAPED: &str = "scraper.data.scraped";
const FINISHED: &str = "scraper.job.finished";

fn shape(event: WebhookEvent) -> Body {
    let timestamp = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let (name, job, status, data, extra) = match &event {
        WebhookEvent::Started(started) => (STARTED, started.job_id, "in_progress", vec![], None),
        WebhookEvent::Page(page) => (SCRAPED, page.job_id, "in_progress", vec![row(page)], None),
        WebhookEvent::Summary(summary) => (
            FINISHED,
            summary.job_id,
            job_status(summary),
            vec![],
            Some(summary),
        ),
    };
    let mut body = json!({
        "event": name,
        "jobId": job.to_string(),
        "jobStatus": status,
        "timestamp": timestamp,
        "data": data,
    });
    if let (Some(summary), Some(fields)) = (extra, body.as_object_mut()) {
        let rows = summary.completed.len() + summary.failed.len();
        fields.insert("dataRowsCount".into(), json!(rows));
        fields.insert("creditsSpent".into(), json!(summary.job_cost));
    }
    Body::Value(body)
}

/// HasData's job statuses: `finished`, `stopped` when cancelled, and `failed` when more
/// than half of the pages failed.
fn job_status(summary: &SummaryEvent) -> &'static str {
    match summary.job_state {
        JobState::Cancelled => "stopped",
        JobState::Failed => "failed",
        _ if summary.mostly_failed() => "failed",
        _ => "finished",
    }
}

/// One page as a row of `data`.
fn row(page: &PageEvent) -> Value {
    let status_code = page.response.as_ref().map(|r| r.status_code);
    let mut row = json!({
        "url": page.url,
        "statusCode": status_code,
        "statusText": status_code
            .and_then(|code| reqwest::StatusCode::from_u16(code).ok())
            .and_then(|code| code.canonical_reason()),
        "depth": page.current_depth,
    });
    let Some(fields) = row.as_object_mut() else {
        return row;
    };
    if let Some(response) = &page.response {
        if let Some(text) = &response.body {
            fields.insert("text".into(), json!(text));
        }
        if let Some(link) = &response.body_url {
            fields.insert("textUrl".into(), json!(link));
        }
    }
    if let Some(reason) = &page.fail_reason {
        fields.insert("error".into(), json!(reason));
    }
    row
}

#[cfg(test)]
mod tests {
    use super::*;
    use crawler_core::{JobId, PageResponse, StartedEvent, StopReason};

    fn value(body: Body) -> Value {
        match body {
            Body::Value(v) => v,
            Body::Event(_) => panic!("hasdata bodies are values"),
        }
    }

    #[test]
    fn a_page_is_one_row_of_data_with_hasdata_s_names() {
        let event = WebhookEvent::Page(PageEvent {
            job_id: JobId(uuid::Uuid::nil()),
            url: "http://site.test/a".into(),
            final_url: None,
            status: "finished".into(),
            credits: 1,
            attempts: 1,
            start_url: "http://site.test/".into(),
            current_depth: 1,
            current_cost: 1,
            fail_reason: None,
            response: Some(PageResponse {
                status_code: 200,
                body: Some("hello".into()),
                ..Default::default()
            }),
            meta: Value::Null,
            async_job: None,
        });
        let body = value(shape(event));
        assert_eq!(body["event"], "scraper.data.scraped");
        assert_eq!(body["jobStatus"], "in_progress");
        assert_eq!(body["jobId"], uuid::Uuid::nil().to_string());
        assert!(chrono::DateTime::parse_from_rfc3339(body["timestamp"].as_str().unwrap()).is_ok());
        assert_eq!(
            body["data"],
            json!([{"url": "http://site.test/a", "statusCode": 200, "statusText": "OK", "depth": 1, "text": "hello"}])
        );
    }

    #[test]
    fn started_and_finished_carry_empty_data_and_the_job_status() {
        let started = WebhookEvent::Started(StartedEvent {
            job_id: JobId(uuid::Uuid::nil()),
            start_url: "http://site.test/".into(),
            meta: Value::Null,
        });
        let body = value(shape(started));
        assert_eq!(body["event"], "scraper.job.started");
        assert_eq!(body["data"], json!([]));
        let mut summary = SummaryEvent {
            job_id: JobId(uuid::Uuid::nil()),
            job_state: JobState::Cancelled,
            job_cost: 3,
            completed: vec![],
            cancelled: vec![],
            failed: vec![],
            crawl_budget: None,
            stop_reason: StopReason::Cancelled,
            start_url: "http://site.test/".into(),
            meta: Value::Null,
            finished_at: None,
            round: 0,
            name: None,
            custom_id: None,
        };
        let body = value(shape(WebhookEvent::Summary(summary.clone())));
        assert_eq!(body["event"], "scraper.job.finished");
        assert_eq!(body["jobStatus"], "stopped");
        assert_eq!(body["creditsSpent"], 3);
        summary.job_state = JobState::Finished;
        assert_eq!(job_status(&summary), "finished");
    }

    #[test]
    fn three_attempts_by_default() {
        assert_eq!(PROFILE.retry_schedule.map(<[Duration]>::len), Some(2));
    }
}
