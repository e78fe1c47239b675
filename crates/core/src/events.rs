//! The bodies users receive on their webhook, field for field as ScraperAPI's Crawler
//! documents them (camelCase), plus an `event` field naming the kind.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::async_job::AsyncRef;
use crate::job::{EventKind, JobId, JobState};

/// Why a job stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// Every reachable URL in scope was processed.
    Exhausted,
    /// The crawl budget ran out with URLs still waiting.
    Budget,
    /// The user cancelled the job.
    Cancelled,
    /// The job ran past its `timeout_sec`.
    Timeout,
}

impl StopReason {
    pub fn as_str(self) -> &'static str {
        match self {
            StopReason::Exhausted => "exhausted",
            StopReason::Budget => "budget",
            StopReason::Cancelled => "cancelled",
            StopReason::Timeout => "timeout",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "exhausted" => Some(StopReason::Exhausted),
            "budget" => Some(StopReason::Budget),
            "cancelled" => Some(StopReason::Cancelled),
            "timeout" => Some(StopReason::Timeout),
            _ => None,
        }
    }
}

/// The HTTP response of a crawled page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageResponse {
    pub status_code: u16,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// The body as text, when it is text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// The body as base64, when it is binary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base64_encoded_body: Option<String>,
    /// Set when the body was left out of the webhook because of its size or the job's
    /// `payload: thin`; the full body is readable through the coordinator.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub body_truncated: bool,
    /// Size of the body in bytes as fetched.
    #[serde(default)]
    pub body_size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_url: Option<String>,
}

/// One crawled page, successful or not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageEvent {
    pub job_id: JobId,
    /// The URL as it was queued (normalised).
    pub url: String,
    /// The URL after redirects, when it differs from `url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub final_url: Option<String>,
    /// `finished` or `failed`.
    pub status: String,
    /// Credits this page cost (0 when it failed).
    pub credits: u64,
    pub attempts: u32,
    pub start_url: String,
    pub current_depth: u32,
    /// The job's cost so far, this page included.
    pub current_cost: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<PageResponse>,
    #[serde(default)]
    pub meta: serde_json::Value,
    /// Set when the page is an async job of its own (see [`crate::async_job`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub async_job: Option<AsyncRef>,
}

/// Sent once, when the first fetch of a job begins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartedEvent {
    pub job_id: JobId,
    pub start_url: String,
    #[serde(default)]
    pub meta: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompletedUrl {
    pub url: String,
    pub cost: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailedUrl {
    pub url: String,
    pub fail_reason: String,
}

/// The final summary of a job, sent exactly once, after its page events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SummaryEvent {
    pub job_id: JobId,
    pub job_state: JobState,
    pub job_cost: u64,
    pub completed: Vec<CompletedUrl>,
    pub cancelled: Vec<String>,
    pub failed: Vec<FailedUrl>,
    pub crawl_budget: Option<u64>,
    pub stop_reason: StopReason,
    pub start_url: String,
    #[serde(default)]
    pub meta: serde_json::Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<u64>,
    /// How many times the job was continued (`POST /v1/crawls/{id}/continue`) before this
    /// summary; each continuation ends with a summary of its own, a new event. Left out
    /// when zero.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub round: u32,
    /// The job's `name` and `custom_id`, when it has them, for receivers that show them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_id: Option<String>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl SummaryEvent {
    /// Whether more than half of the job's pages failed (4xx, 5xx or network errors):
    /// the rule by which receivers' services call a whole job failed.
    pub fn mostly_failed(&self) -> bool {
        let pages = self.completed.len() + self.failed.len();
        self.failed.len() * 2 > pages
    }
}

/// A webhook body: one of the event kinds, with its `event` field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event")]
pub enum WebhookEvent {
    #[serde(rename = "crawl.started")]
    Started(StartedEvent),
    #[serde(rename = "crawl.page")]
    Page(PageEvent),
    #[serde(rename = "crawl.finished")]
    Summary(SummaryEvent),
}

impl WebhookEvent {
    pub fn kind(&self) -> EventKind {
        match self {
            WebhookEvent::Started(_) => EventKind::Started,
            WebhookEvent::Page(_) => EventKind::Page,
            WebhookEvent::Summary(_) => EventKind::Summary,
        }
    }

    pub fn job_id(&self) -> JobId {
        match self {
            WebhookEvent::Started(e) => e.job_id,
            WebhookEvent::Page(e) => e.job_id,
            WebhookEvent::Summary(e) => e.job_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_event_has_scraperapi_field_names_and_event_tag() {
        let event = WebhookEvent::Page(PageEvent {
            job_id: JobId(uuid::Uuid::nil()),
            url: "https://example.com/".into(),
            final_url: None,
            status: "failed".into(),
            credits: 0,
            attempts: 3,
            start_url: "https://example.com/".into(),
            current_depth: 1,
            current_cost: 4,
            fail_reason: Some("http_404".into()),
            response: Some(PageResponse {
                status_code: 404,
                ..Default::default()
            }),
            meta: serde_json::json!({"k": 1}),
            async_job: None,
        });
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["event"], "crawl.page");
        assert_eq!(json["jobId"], "00000000-0000-0000-0000-000000000000");
        assert_eq!(json["currentDepth"], 1);
        assert_eq!(json["currentCost"], 4);
        assert_eq!(json["failReason"], "http_404");
        assert_eq!(json["response"]["statusCode"], 404);
        assert_eq!(json["meta"]["k"], 1);
        let back: WebhookEvent = serde_json::from_value(json).unwrap();
        assert_eq!(back, event);
    }

    #[test]
    fn summary_uses_snake_case_states() {
        let event = WebhookEvent::Summary(SummaryEvent {
            job_id: JobId(uuid::Uuid::nil()),
            job_state: JobState::Cancelled,
            job_cost: 2,
            completed: vec![CompletedUrl {
                url: "a".into(),
                cost: 1,
            }],
            cancelled: vec!["b".into()],
            failed: vec![FailedUrl {
                url: "c".into(),
                fail_reason: "timeout".into(),
            }],
            crawl_budget: Some(10),
            stop_reason: StopReason::Cancelled,
            start_url: "a".into(),
            meta: serde_json::Value::Null,
            finished_at: None,
            round: 0,
            name: None,
            custom_id: None,
        });
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["event"], "crawl.finished");
        assert_eq!(json["jobState"], "cancelled");
        assert_eq!(json["stopReason"], "cancelled");
        assert_eq!(json["failed"][0]["failReason"], "timeout");
        assert_eq!(json["crawlBudget"], 10);
        assert!(json.get("round").is_none());
    }

    #[test]
    fn mostly_failed_means_more_than_half() {
        let url = |u: &str| CompletedUrl {
            url: u.into(),
            cost: 1,
        };
        let failed = |u: &str| FailedUrl {
            url: u.into(),
            fail_reason: "http_500".into(),
        };
        let mut summary = SummaryEvent {
            job_id: JobId(uuid::Uuid::nil()),
            job_state: JobState::Finished,
            job_cost: 1,
            completed: vec![url("a")],
            cancelled: Vec::new(),
            failed: vec![failed("b")],
            crawl_budget: None,
            stop_reason: StopReason::Exhausted,
            start_url: "a".into(),
            meta: serde_json::Value::Null,
            finished_at: None,
            round: 0,
            name: None,
            custom_id: None,
        };
        assert!(
            !summary.mostly_failed(),
            "exactly half is not more than half"
        );
        summary.failed.push(failed("c"));
        assert!(summary.mostly_failed());
        summary.completed.clear();
        summary.failed.clear();
        assert!(!summary.mostly_failed(), "a job without pages did not fail");
    }
}
