//! Reading, listing and cancelling jobs. A caller sees only the jobs filed under its own
//! key: another key's job answers 404, exactly like a job that does not exist, so ids
//! cannot be probed.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use crawler_core::{JobId, JobStatus, StopReason};
use serde::Serialize;

use super::query_map;
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::ApiError;

/// Jobs per page when the caller does not say, and the most it may ask for.
pub const DEFAULT_PAGE_SIZE: u64 = 20;
pub const MAX_PAGE_SIZE: u64 = 100;

fn no_such_job() -> ApiError {
    ApiError::not_found("no such job")
}

/// The id of a job `caller` owns, or 404.
async fn owned_job(app: &AppState, caller: &Caller, raw_id: &str) -> Result<JobId, ApiError> {
    let id: JobId = raw_id.parse().map_err(|_| no_such_job())?;
    app.owned_job(caller, id).await
}

async fn current_status(app: &AppState, id: JobId) -> Result<Json<JobStatus>, ApiError> {
    app.services
        .state
        .status(id)
        .await?
        .map(Json)
        .ok_or_else(no_such_job)
}

pub async fn status(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Json<JobStatus>, ApiError> {
    let caller = app.caller(&headers, &query_map(query.as_deref()))?;
    let id = owned_job(&app, &caller, &id).await?;
    current_status(&app, id).await
}

/// Cancels gracefully: pages in flight finish, nothing new is fetched, the data is kept.
/// Cancelling twice, or cancelling an ended job, changes nothing and answers the status.
/// With `?purge=true` the job and its data are deleted instead
/// ([`super::continuation::purge`]).
pub async fn cancel(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let query = query_map(query.as_deref());
    let caller = app.caller(&headers, &query)?;
    let id = owned_job(&app, &caller, &id).await?;
    if query.get("purge").is_some_and(|v| v == "true" || v == "1") {
        return super::continuation::purge(&app, id).await;
    }
    app.services
        .state
        .request_stop(id, StopReason::Cancelled)
        .await?;
    tracing::info!(job = %id, "cancel requested");
    Ok(current_status(&app, id).await?.into_response())
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobList {
    pub jobs: Vec<JobStatus>,
    pub total: u64,
    pub offset: u64,
    pub limit: u64,
    /// Offset of the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_offset: Option<u64>,
    /// URL of the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// The caller's jobs, newest first: `?limit=&offset=`, or `?page=&per_page=` (page 1 first).
pub async fn list(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Json<JobList>, ApiError> {
    let query = query_map(query.as_deref());
    let caller = app.caller(&headers, &query)?;
    let (offset, limit) = page_window(&query)?;
    let page = app
        .services
        .state
        .list_jobs(&caller.owner, offset, limit)
        .await?;
    let shown = offset.saturating_add(page.jobs.len() as u64);
    let next_offset = (shown < page.total && !page.jobs.is_empty()).then_some(shown);
    Ok(Json(JobList {
        next: next_offset
            .map(|o| format!("{}/v1/crawls?offset={o}&limit={limit}", app.public_base_url)),
        jobs: page.jobs,
        total: page.total,
        offset,
        limit,
        next_offset,
    }))
}

/// Reads the page window from the query. Sizes above the maximum are lowered to it, as
/// most paginated APIs do; zero or non-numbers are refused.
pub fn page_window(query: &HashMap<String, String>) -> Result<(u64, u64), ApiError> {
    let number = |name: &str| -> Result<Option<u64>, ApiError> {
        query
            .get(name)
            .map(|raw| {
                raw.parse::<u64>().map_err(|_| {
                    ApiError::bad_request(name, format!("{name} must be a non-negative integer"))
                })
            })
            .transpose()
    };
    let (size_name, size) = match number("limit")? {
        Some(n) => ("limit", Some(n)),
        None => ("per_page", number("per_page")?),
    };
    let limit = size.unwrap_or(DEFAULT_PAGE_SIZE).min(MAX_PAGE_SIZE);
    if limit == 0 {
        return Err(ApiError::bad_request(
            size_name,
            format!("{size_name} must be at least 1"),
        ));
    }
    let offset = match (number("offset")?, number("page")?) {
        (Some(offset), _) => offset,
        (None, Some(0)) => return Err(ApiError::bad_request("page", "page starts at 1")),
        (None, Some(page)) => (page - 1).saturating_mul(limit),
        (None, None) => 0,
    };
    Ok((offset, limit))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(pairs: &[(&str, &str)]) -> Result<(u64, u64), ApiError> {
        let query = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        page_window(&query)
    }

    #[test]
    fn pages_default_to_twenty_and_cap_at_a_hundred() {
        assert_eq!(window(&[]).unwrap(), (0, 20));
        assert_eq!(window(&[("limit", "500")]).unwrap(), (0, 100));
        assert_eq!(
            window(&[("offset", "40"), ("limit", "10")]).unwrap(),
            (40, 10)
        );
    }

    #[test]
    fn page_and_per_page_translate_to_an_offset() {
        assert_eq!(
            window(&[("page", "3"), ("per_page", "5")]).unwrap(),
            (10, 5)
        );
        assert_eq!(window(&[("page", "1")]).unwrap(), (0, 20));
    }

    #[test]
    fn nonsense_is_refused_naming_the_parameter() {
        for (pairs, field) in [
            (vec![("limit", "x")], "limit"),
            (vec![("limit", "0")], "limit"),
            (vec![("per_page", "-1")], "per_page"),
            (vec![("offset", "1.5")], "offset"),
            (vec![("page", "0")], "page"),
        ] {
            let error = window(&pairs).unwrap_err();
            assert_eq!(error.field.as_deref(), Some(field), "{pairs:?}");
        }
    }
}
