//! Crawl jobs: what a user asked for (`JobSpec`), what the system keeps about it
//! (`JobRecord`) and what the status endpoint answers (`JobStatus`).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::async_job::AsyncOptions;
use crate::body_format::{ContentEncoding, ContentType};
use crate::events::StopReason;
use crate::kinds::{JobKind, SeedSource};
use crate::messages::FetchTask;
use crate::tenant::Tenant;

/// A job's identifier, a UUID on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JobId(pub Uuid);

impl JobId {
    /// A new, time-ordered id (UUIDv7), so ids sort roughly by creation.
    pub fn generate() -> Self {
        JobId(Uuid::now_v7())
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for JobId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s).map(JobId)
    }
}

/// Which links a crawl may follow, relative to the start URL.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Only the start URL's host.
    #[default]
    Host,
    /// The start URL's registrable domain and its subdomains.
    Domain,
    /// Any host (the regexes still apply).
    Any,
}

/// The kinds of webhook event a job can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum EventKind {
    #[serde(rename = "crawl.started")]
    Started,
    #[serde(rename = "crawl.page")]
    Page,
    /// The summary: a job's last event. Variants are ordered as events happen, which
    /// replays rely on to send page events before the summary.
    #[serde(rename = "crawl.finished")]
    Summary,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Started => "crawl.started",
            EventKind::Page => "crawl.page",
            EventKind::Summary => "crawl.finished",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "crawl.started" => Some(EventKind::Started),
            "crawl.page" => Some(EventKind::Page),
            "crawl.finished" => Some(EventKind::Summary),
            _ => None,
        }
    }

    /// What a job gets when it does not say.
    pub fn defaults() -> Vec<EventKind> {
        vec![EventKind::Page, EventKind::Summary]
    }
}

/// How much of a page a webhook carries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PayloadMode {
    /// The body inline, up to the dispatcher's inline limit.
    #[default]
    Full,
    /// No body, only a link to fetch it from the coordinator.
    Thin,
}

/// Where and how to deliver a job's webhooks, validated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Callback {
    pub url: String,
    pub events: Vec<EventKind>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Standard Webhooks secret, `whsec_` followed by base64.
    pub secret: String,
    #[serde(default)]
    pub payload: PayloadMode,
    /// The delivery profile that shapes the requests; left out when `standard`, so
    /// records stored before profiles existed read and write unchanged.
    #[serde(
        default = "standard_profile",
        skip_serializing_if = "is_standard_profile"
    )]
    pub profile: String,
    /// The body format; `None` keeps the profile's (JSON, or a form for `webscraper`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<ContentType>,
    /// The body's compression; `None` keeps the profile's (none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_encoding: Option<ContentEncoding>,
    /// Tries of each delivery in all, when fewer than the retry schedule allows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts: Option<u32>,
}

/// The profile of a callback that names none.
pub const STANDARD_PROFILE: &str = "standard";

fn standard_profile() -> String {
    STANDARD_PROFILE.to_string()
}

fn is_standard_profile(profile: &str) -> bool {
    profile == STANDARD_PROFILE
}

impl Callback {
    pub fn wants(&self, kind: EventKind) -> bool {
        self.events.contains(&kind)
    }
}

/// Fetch options, named as ScraperAPI names them. Unknown keys are kept in `extra` and
/// passed along, so a client written for ScraperAPI does not lose what it sent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ApiParams {
    #[serde(default = "default_true")]
    pub follow_redirect: bool,
    #[serde(default)]
    pub retry_404: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_format: Option<String>,
    #[serde(default)]
    pub keep_headers: bool,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_code: Option<String>,
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

fn default_true() -> bool {
    true
}

/// A validated job, as stored and as echoed back to the user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobSpec {
    /// Left out when it is a crawl, so a crawl's record reads and writes exactly as it did
    /// before there were other kinds.
    #[serde(default, skip_serializing_if = "JobKind::is_crawl")]
    pub kind: JobKind,
    /// The crawl's or the fetch's URL; for a batch, its first URL.
    pub start_url: String,
    /// A batch's URLs, normalised; empty for the other kinds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub urls: Vec<String>,
    pub url_regexp_include: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_regexp_exclude: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_depth: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crawl_budget: Option<u64>,
    #[serde(default)]
    pub api_params: ApiParams,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback: Option<Callback>,
    /// The stored endpoint of the job's tenant its events go to, instead of a `callback`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_name: Option<String>,
    /// The project and environment of the key that submitted the job: whose endpoints
    /// `webhook_name` and the inline callback's health belong to. In the spec rather than
    /// the record so that a schedule's runs keep it. Left out when it is the default, so
    /// records stored before tenants existed read and write unchanged.
    #[serde(default, skip_serializing_if = "Tenant::is_default")]
    pub tenant: Tenant,
    #[serde(default)]
    pub meta: serde_json::Value,
    pub timeout_sec: u64,
    #[serde(default)]
    pub scope: Scope,
    #[serde(default)]
    pub follow_nofollow: bool,
    #[serde(default)]
    pub ignore_query_parameters: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_pages_per_host: Option<u64>,
    #[serde(default = "default_true")]
    pub respect_robots_txt: bool,
    /// The job's name, which receivers may show (WebScraper.io's `sitemap_name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The caller's own id for the job, echoed to receivers (WebScraper.io's `custom_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_id: Option<String>,
    /// An async job's options (kinds `fetch` and `batch`); `None` for a crawl.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub async_job: Option<AsyncOptions>,
}

impl JobSpec {
    /// Whether the job's workers publish events of `kind` to the dispatcher. Page events
    /// always go when the job has a webhook, even filtered out, because the dispatcher holds
    /// the summary back until it has seen each of them. A named endpoint gets every kind:
    /// its filter may change while the job runs, so the dispatcher applies it.
    pub fn publishes(&self, kind: EventKind) -> bool {
        match (&self.callback, &self.webhook_name) {
            (Some(callback), _) => kind == EventKind::Page || callback.wants(kind),
            (None, Some(_)) => true,
            (None, None) => false,
        }
    }

    /// The depth-0 tasks of the seed URLs, numbered from 1 when the kind makes each seed a
    /// job of its own.
    pub fn seed_tasks(&self, job: JobId) -> Vec<FetchTask> {
        let numbered = self.kind.rules().seeds_are_jobs;
        self.seed_urls()
            .into_iter()
            .zip(1u32..)
            .map(|(url, number)| FetchTask {
                item: if numbered { number } else { 0 },
                ..FetchTask::seed(job, url.to_owned())
            })
            .collect()
    }

    /// The URLs admitted at depth 0 when the job is created, as the kind says: the start
    /// URL of a crawl or a fetch, every URL of a batch.
    pub fn seed_urls(&self) -> Vec<&str> {
        match self.kind.rules().seeds {
            SeedSource::StartUrl => vec![self.start_url.as_str()],
            SeedSource::UrlList => self.urls.iter().map(String::as_str).collect(),
        }
    }
}

/// What the system keeps about a job besides its counters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRecord {
    pub job_id: JobId,
    /// Identifies the API key that owns the job (a digest, never the key itself).
    pub owner: String,
    pub spec: JobSpec,
    /// Credits one successful page costs.
    pub cost_per_page: u64,
    pub created_at_ms: u64,
    /// When the job stops with `timeout` if it is still running.
    pub deadline_ms: u64,
}

/// The lifecycle of a job as users see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Running,
    Finished,
    Cancelled,
    Failed,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Running => "running",
            JobState::Finished => "finished",
            JobState::Cancelled => "cancelled",
            JobState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "running" => Some(JobState::Running),
            "finished" => Some(JobState::Finished),
            "cancelled" => Some(JobState::Cancelled),
            "failed" => Some(JobState::Failed),
            _ => None,
        }
    }
}

/// The answer of `GET /v1/crawls/{jobId}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobStatus {
    pub job_id: JobId,
    pub job_state: JobState,
    /// Set while a cancel or timeout is draining the queue and once the job ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_reason: Option<StopReason>,
    pub start_url: String,
    pub completed: u64,
    pub failed: u64,
    pub cancelled: u64,
    pub pending: u64,
    pub job_cost: u64,
    pub crawl_budget: Option<u64>,
    pub meta: serde_json::Value,
    pub created_at: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<u64>,
}

#[cfg(test)]
mod tests;
