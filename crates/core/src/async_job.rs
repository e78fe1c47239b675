//! Async jobs (ScraperAPI's Async API): each URL of a `fetch` or `batch` job is a job of its
//! own for the user, with its own id, status object and callback.
//!
//! # Ids without a lookup table
//! A job whose kind makes its seeds jobs ([`crate::KindRules::seeds_are_jobs`]) gets a
//! UUIDv7 id whose low 16 bits are zero ([`JobId::generate_for_items`]). Its item `i`
//! (1-based, the seed's position; a batch holds at most 50,000 < 65,536 of them) has the id
//! `job id | i`. Reading an id back ([`split`]) is therefore arithmetic: clear the low 16
//! bits to get the job, keep them to get the item. The low bits of a UUIDv7 are random
//! bits, so version and variant stay valid, and ids still sort by creation time.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::events::{PageEvent, PageResponse};
use crate::job::JobId;

/// The reason an async job gives when it kept failing until its `timeoutSec` ran out.
pub const FAILED_DUE_TO_TIMEOUT: &str = "failed_due_to_timeout";

/// The status of an item the user cancelled (`DELETE /v1/jobs/{id}`), as its kept event
/// and its status object say.
pub const CANCELLED: &str = "cancelled";

/// The most items a job's id scheme can number.
pub const MAX_ITEMS: u32 = 0xFFFF;

const ITEM_MASK: u128 = 0xFFFF;

impl JobId {
    /// A new time-ordered id (UUIDv7) with its low 16 bits zero, so that its items' ids can
    /// be derived from it (see the module's documentation).
    pub fn generate_for_items() -> Self {
        JobId(Uuid::from_u128(Uuid::now_v7().as_u128() & !ITEM_MASK))
    }
}

/// The id of item `item` (1-based) of `job`.
pub fn item_id(job: JobId, item: u32) -> Uuid {
    Uuid::from_u128(job.0.as_u128() | (u128::from(item) & ITEM_MASK))
}

/// The job and the item an async job's id names; `None` when its low 16 bits are zero
/// (a job's own id, never handed out as an async job's).
pub fn split(id: Uuid) -> Option<(JobId, u32)> {
    let raw = id.as_u128();
    let item = u32::try_from(raw & ITEM_MASK)
        .ok()
        .filter(|item| *item > 0)?;
    Some((JobId(Uuid::from_u128(raw & !ITEM_MASK)), item))
}

/// What an async job's page event carries so that its callback can be its status object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AsyncRef {
    /// The async job's own id (its job's id with its item number).
    pub id: Uuid,
    pub status_url: String,
}

/// The options of an async job besides its fetch options, as validated and stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct AsyncOptions {
    /// Whether a failed job calls back too (`expectUnsuccessReport`).
    #[serde(default)]
    pub expect_unsuccess_report: bool,
    /// The HTTP method of the fetch: `GET`, `POST` or `PUT`.
    pub method: String,
    /// The request body sent with `POST` and `PUT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Where the items' statuses are read, without a trailing slash: an item's `statusUrl`
    /// is this, `/`, its id. Fixed by the coordinator that accepted the job, so workers and
    /// dispatchers need not know the public address.
    pub status_url_base: String,
}

impl AsyncOptions {
    /// The reference a page event of item `item` of `job` carries.
    pub fn reference(&self, job: JobId, item: u32) -> AsyncRef {
        let id = item_id(job, item);
        AsyncRef {
            id,
            status_url: format!("{}/{id}", self.status_url_base),
        }
    }
}

/// `response` of an async job's status object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AsyncResponse {
    pub status_code: u16,
    pub headers: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base64_encoded_body: Option<String>,
    /// Set when a callback left a large body out; it is readable at `bodyUrl`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub body_truncated: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_url: Option<String>,
}

impl From<PageResponse> for AsyncResponse {
    fn from(page: PageResponse) -> Self {
        AsyncResponse {
            status_code: page.status_code,
            headers: page.headers,
            body: page.body,
            base64_encoded_body: page.base64_encoded_body,
            body_truncated: page.body_truncated,
            body_url: page.body_url,
        }
    }
}

/// An async job's status object: the answer of `GET /v1/jobs/{id}` and the body of its
/// callback, built from the same page event so that the two cannot differ.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AsyncStatus {
    pub id: Uuid,
    pub attempts: u32,
    /// `running`, `finished`, `failed`, or `cancelled` (cancelled by the user, or its
    /// callback failed every try).
    pub status: String,
    pub status_url: String,
    pub url: String,
    pub meta: serde_json::Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<AsyncResponse>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_reason: Option<String>,
}

impl AsyncStatus {
    /// The status of an item not yet done.
    pub fn running(reference: AsyncRef, url: String, meta: serde_json::Value) -> Self {
        AsyncStatus {
            id: reference.id,
            attempts: 0,
            status: "running".to_string(),
            status_url: reference.status_url,
            url,
            meta,
            response: None,
            fail_reason: None,
        }
    }

    /// The status an async job's page event reports; `None` for a page of a crawl.
    pub fn of_page(event: PageEvent) -> Option<Self> {
        let reference = event.async_job?;
        Some(AsyncStatus {
            id: reference.id,
            attempts: event.attempts,
            status: event.status,
            status_url: reference.status_url,
            url: event.url,
            meta: event.meta,
            response: event.response.map(AsyncResponse::from),
            fail_reason: event.fail_reason,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_ids_split_back_into_their_job_and_item() {
        let job = JobId::generate_for_items();
        assert_eq!(job.0.as_u128() & ITEM_MASK, 0);
        assert_eq!(job.0.get_version_num(), 7);
        for item in [1, 2, 17, 50_000, MAX_ITEMS] {
            let id = item_id(job, item);
            assert_eq!(id.get_version_num(), 7, "still a UUIDv7");
            assert_eq!(split(id), Some((job, item)));
        }
        assert_ne!(item_id(job, 1), item_id(job, 2));
    }

    #[test]
    fn a_job_s_own_id_names_no_item() {
        let job = JobId::generate_for_items();
        assert_eq!(split(job.0), None);
        assert_eq!(split(Uuid::nil()), None);
    }

    #[test]
    fn two_jobs_never_share_an_item_id() {
        let a = JobId::generate_for_items();
        let b = JobId::generate_for_items();
        assert_ne!(a, b, "the high bits are time and randomness");
        assert_ne!(item_id(a, 1), item_id(b, 1));
    }

    #[test]
    fn a_status_object_has_scraperapi_s_field_names() {
        let options = AsyncOptions {
            expect_unsuccess_report: false,
            method: "GET".into(),
            body: None,
            status_url_base: "https://api.test/v1/jobs".into(),
        };
        let job = JobId::generate_for_items();
        let reference = options.reference(job, 3);
        let status = AsyncStatus::running(reference.clone(), "https://a.test/".into(), 7.into());
        let json = serde_json::to_value(&status).unwrap();
        assert_eq!(json["status"], "running");
        assert_eq!(json["attempts"], 0);
        assert_eq!(json["meta"], 7);
        assert_eq!(
            json["statusUrl"],
            format!("https://api.test/v1/jobs/{}", reference.id)
        );
        assert!(json.get("response").is_none() && json.get("failReason").is_none());
    }
}
