//! The coordinator's HTTP API as typed calls. Every failure is turned into a
//! [`ClientError`] here, so the commands above deal only in answers.

use std::time::Duration;

use crawler_core::JobStatus;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use url::Url;

use super::error::{unreachable_reason, ClientError};

/// Longest wait for a connection; a coordinator on the network answers well within it, and
/// a wrong address should fail before the user gives up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest wait for a whole answer.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The 201 answer of `POST /v1/crawls` (the fields this client shows).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Submitted {
    #[serde(flatten)]
    pub status: JobStatus,
    pub status_url: String,
    #[serde(default)]
    pub webhook_secret: Option<String>,
}

/// A page of `GET /v1/crawls`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobList {
    pub jobs: Vec<JobStatus>,
    pub total: u64,
    pub offset: u64,
    #[serde(default)]
    pub next_offset: Option<u64>,
}

/// The error body every coordinator answer uses.
#[derive(Debug, Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Debug, Deserialize)]
struct ErrorDetail {
    #[serde(default)]
    field: Option<String>,
    message: String,
}

/// What a 404 means for the call that got it.
enum Missing<'a> {
    Job(&'a str),
    Route,
}

pub struct ApiClient {
    http: reqwest::Client,
    base: Url,
    api_key: Option<String>,
}

impl ApiClient {
    pub fn new(api: &str, api_key: Option<String>) -> Result<Self, ClientError> {
        let base = Url::parse(api.trim())
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https") && url.host().is_some())
            .ok_or_else(|| {
                ClientError::Input(format!(
                    "--api {api} is not an http(s) URL such as http://127.0.0.1:8080"
                ))
            })?;
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("crawler-cli/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientError::Input(format!("cannot set up the HTTP client: {e}")))?;
        Ok(ApiClient {
            http,
            base,
            api_key: api_key.filter(|key| !key.is_empty()),
        })
    }

    /// The coordinator's address as the user gave it, for messages.
    pub fn api(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    pub async fn submit(&self, body: &serde_json::Value) -> Result<Submitted, ClientError> {
        let request = self.request(Method::POST, &["v1", "crawls"]).json(body);
        self.send(request, Missing::Route).await
    }

    pub async fn status(&self, job: &str) -> Result<JobStatus, ClientError> {
        let request = self.request(Method::GET, &["v1", "crawls", job]);
        self.send(request, Missing::Job(job)).await
    }

    /// The raw status document, for `--json`.
    pub async fn status_json(&self, job: &str) -> Result<serde_json::Value, ClientError> {
        let request = self.request(Method::GET, &["v1", "crawls", job]);
        self.send(request, Missing::Job(job)).await
    }

    pub async fn cancel(&self, job: &str) -> Result<JobStatus, ClientError> {
        let request = self.request(Method::DELETE, &["v1", "crawls", job]);
        self.send(request, Missing::Job(job)).await
    }

    pub async fn list(&self, limit: u64, offset: u64) -> Result<JobList, ClientError> {
        let request = self
            .request(Method::GET, &["v1", "crawls"])
            .query(&[("limit", limit), ("offset", offset)]);
        self.send(request, Missing::Route).await
    }

    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        // Pushing segments percent-encodes them, so a job id typed with a slash or a space
        // cannot reach another route.
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    fn request(&self, method: Method, segments: &[&str]) -> reqwest::RequestBuilder {
        let request = self.http.request(method, self.url(segments));
        match &self.api_key {
            Some(key) => request.header("x-api-key", key),
            None => request,
        }
    }

    async fn send<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
        missing: Missing<'_>,
    ) -> Result<T, ClientError> {
        let response = request.send().await.map_err(|e| self.unreachable(&e))?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|e| self.unreachable(&e))?;
        if status.is_success() {
            return serde_json::from_slice(&bytes).map_err(|e| ClientError::UnreadableAnswer {
                api: self.api().to_string(),
                detail: e.to_string(),
            });
        }
        Err(self.failure(status, &bytes, missing))
    }

    fn unreachable(&self, error: &reqwest::Error) -> ClientError {
        ClientError::Unreachable {
            api: self.api().to_string(),
            reason: unreachable_reason(error),
        }
    }

    fn failure(&self, status: StatusCode, body: &[u8], missing: Missing<'_>) -> ClientError {
        let detail = serde_json::from_slice::<ErrorBody>(body)
            .ok()
            .map(|b| b.error);
        match (status, detail) {
            (StatusCode::UNAUTHORIZED, _) if self.api_key.is_some() => ClientError::KeyRefused,
            (StatusCode::UNAUTHORIZED, _) => ClientError::KeyMissing,
            // Only a coordinator's own 404 (with its JSON body) means the job is unknown;
            // a bare 404 is some other server at that address.
            (StatusCode::NOT_FOUND, Some(detail)) => match missing {
                Missing::Job(job) => ClientError::NoSuchJob(job.to_string()),
                Missing::Route => self.failed(status, Some(detail.message), body),
            },
            (status, Some(detail)) if status.is_client_error() => ClientError::Refused {
                field: detail.field,
                message: detail.message,
            },
            (status, detail) => self.failed(status, detail.map(|d| d.message), body),
        }
    }

    fn failed(&self, status: StatusCode, message: Option<String>, body: &[u8]) -> ClientError {
        let message = message.unwrap_or_else(|| {
            let text = String::from_utf8_lossy(body);
            let first_line = text.lines().next().unwrap_or("").trim();
            if first_line.is_empty() {
                status
                    .canonical_reason()
                    .unwrap_or("no reason given")
                    .to_string()
            } else {
                first_line.chars().take(200).collect()
            }
        });
        ClientError::Failed {
            api: self.api().to_string(),
            status: status.as_u16(),
            message,
        }
    }
}
