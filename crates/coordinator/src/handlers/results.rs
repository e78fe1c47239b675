//! `GET /v1/crawls/{id}/results?format=json|jsonl|csv`: every page of a job, downloaded.
//!
//! The body is streamed: the job store is read one page of [`RESULTS_PER_READ`] outcomes
//! at a time, each turned into its bytes and handed to the connection before the next is
//! read, so a 20,000-page job's download holds one read's worth of pages, never the job.
//! A slow client slows the reads down with it (the body is pulled, not pushed).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use crawler_core::{JobId, PageResult};
use crawler_state::{JobData, StateError};
use futures::Stream;

use super::query_map;
use crate::app::AppState;
use crate::error::ApiError;

/// Outcomes read from the store per step of the stream.
pub const RESULTS_PER_READ: u64 = 100;

/// The columns of the CSV download, in order.
const CSV_COLUMNS: [&str; 8] = [
    "url",
    "status",
    "statusCode",
    "depth",
    "finalUrl",
    "failReason",
    "body",
    "base64EncodedBody",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON array of page objects.
    Json,
    /// One page object per line (JSON Lines).
    Jsonl,
    /// A header row, then one row per page.
    Csv,
}

impl Format {
    fn parse(raw: Option<&str>) -> Result<Self, ApiError> {
        match raw.unwrap_or("json") {
            "json" => Ok(Format::Json),
            "jsonl" => Ok(Format::Jsonl),
            "csv" => Ok(Format::Csv),
            other => Err(ApiError::bad_request(
                "format",
                format!("format must be one of json, jsonl, csv, not `{other}`"),
            )),
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Jsonl => "application/x-ndjson",
            Format::Csv => "text/csv; charset=utf-8",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Jsonl => "jsonl",
            Format::Csv => "csv",
        }
    }

    fn opening(self) -> Bytes {
        match self {
            Format::Json => Bytes::from_static(b"["),
            Format::Jsonl => Bytes::new(),
            Format::Csv => Bytes::from(format!("{}\r\n", CSV_COLUMNS.join(","))),
        }
    }

    fn closing(self) -> Bytes {
        match self {
            Format::Json => Bytes::from_static(b"]"),
            Format::Jsonl | Format::Csv => Bytes::new(),
        }
    }

    /// The bytes of some pages; `first` when none was written before them.
    fn rows(self, pages: &[PageResult], first: bool) -> Result<Bytes, StateError> {
        let mut out = Vec::new();
        let broken = |e: &dyn std::fmt::Display| StateError::Backend(e.to_string());
        match self {
            Format::Json | Format::Jsonl => {
                for (n, page) in pages.iter().enumerate() {
                    if self == Format::Json && !(first && n == 0) {
                        out.push(b',');
                    }
                    serde_json::to_writer(&mut out, page).map_err(|e| broken(&e))?;
                    if self == Format::Jsonl {
                        out.push(b'\n');
                    }
                }
            }
            Format::Csv => {
                let mut writer = csv::WriterBuilder::new()
                    .has_headers(false)
                    .terminator(csv::Terminator::CRLF)
                    .from_writer(&mut out);
                for page in pages {
                    writer.write_record(csv_row(page)).map_err(|e| broken(&e))?;
                }
                writer.flush().map_err(|e| broken(&e))?;
            }
        }
        Ok(Bytes::from(out))
    }
}

fn csv_row(page: &PageResult) -> [String; 8] {
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    [
        page.url.clone(),
        page.status.clone(),
        page.status_code.map(|c| c.to_string()).unwrap_or_default(),
        page.depth.to_string(),
        text(&page.final_url),
        text(&page.fail_reason),
        text(&page.body),
        text(&page.base64_encoded_body),
    ]
}

/// Where the stream is.
enum Step {
    Opening,
    /// Read the outcomes from this offset on; `first` while no page was written.
    Pages {
        offset: u64,
        first: bool,
    },
    Closing,
    Done,
}

/// The download of `job` in `format`, read from `store` one step at a time.
pub fn result_chunks(
    store: Arc<dyn JobData>,
    job: JobId,
    format: Format,
) -> impl Stream<Item = Result<Bytes, StateError>> + Send {
    futures::stream::try_unfold(Step::Opening, move |step| {
        let store = store.clone();
        async move {
            let (bytes, next) = match step {
                Step::Opening => (
                    format.opening(),
                    Step::Pages {
                        offset: 0,
                        first: true,
                    },
                ),
                Step::Pages { offset, first } => {
                    let page = store.results(job, offset, RESULTS_PER_READ).await?;
                    let bytes = format.rows(&page.results, first)?;
                    let first = first && page.results.is_empty();
                    let next = match page.next {
                        Some(offset) => Step::Pages { offset, first },
                        None => Step::Closing,
                    };
                    (bytes, next)
                }
                Step::Closing => (format.closing(), Step::Done),
                Step::Done => return Ok(None),
            };
            Ok(Some((bytes, next)))
        }
    })
}

pub async fn results(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let query = query_map(query.as_deref());
    let caller = app.caller(&headers, &query)?;
    let job: JobId = id.parse().map_err(|_| ApiError::not_found("no such job"))?;
    let job = app.owned_job(&caller, job).await?;
    let format = Format::parse(query.get("format").map(String::as_str))?;
    let store: Arc<dyn JobData> = app.services.state.clone();
    let body = Body::from_stream(result_chunks(store, job, format));
    let disposition = format!("attachment; filename=\"{job}.{}\"", format.extension());
    let mut response = body.into_response();
    let response_headers = response.headers_mut();
    response_headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        response_headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

#[cfg(test)]
mod tests;
