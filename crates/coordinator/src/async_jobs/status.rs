//! An async job's status, read by its id: the id names a job and an item (see
//! `crawler_core::async_job`), the item's kept result (in the job store, written by the
//! worker that fetched it) says how it ended, and the delivery store says whether its
//! callback was given up on.
//!
//! `cancelled` after every callback try failed is derived here, at read time, from the
//! dead letter of the item's event, rather than written by the dispatcher into job state:
//! the dispatcher stays out of the job store, and a replayed event that gets through (its
//! dead letter removed) turns the status back to what the job came to.

use std::sync::Arc;

use crawler_core::messages::event_id_for;
use crawler_core::time::now_ms;
use crawler_core::{async_job, AsyncStatus, JobId, JobRecord, WebhookEvent};
use crawler_state::JobControl;
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::Caller;
use crate::error::ApiError;

/// One async job: an item of a `fetch` or `batch` job the caller owns.
pub struct Item {
    pub job: JobId,
    /// 1-based.
    pub item: u32,
    pub record: Arc<JobRecord>,
}

impl Item {
    /// The item's URL.
    pub fn url(&self) -> &str {
        self.record.spec.seed_urls()[(self.item - 1) as usize]
    }

    /// The status of the item before it ended.
    pub fn running(&self) -> Result<AsyncStatus, ApiError> {
        let options = self
            .record
            .spec
            .async_job
            .as_ref()
            .ok_or_else(no_such_job)?;
        Ok(AsyncStatus::running(
            options.reference(self.job, self.item),
            self.url().to_string(),
            self.record.spec.meta.clone(),
        ))
    }
}

fn no_such_job() -> ApiError {
    ApiError::not_found("no such job")
}

/// The item `raw_id` names when the caller owns its job; 404 for anything else, another
/// key's job included, so ids cannot be probed.
pub async fn find_item(app: &AppState, caller: &Caller, raw_id: &str) -> Result<Item, ApiError> {
    let id = Uuid::parse_str(raw_id).map_err(|_| no_such_job())?;
    let (job, item) = async_job::split(id).ok_or_else(no_such_job)?;
    let record = app
        .async_records
        .get_or_load(app.services.state.as_ref(), job, Ok::<_, ApiError>)
        .await?
        .ok_or_else(no_such_job)?;
    let seeds = record.spec.seed_urls().len();
    let owned = record.owner == caller.owner;
    if !owned || !record.spec.kind.rules().seeds_are_jobs || item as usize > seeds {
        return Err(no_such_job());
    }
    Ok(Item { job, item, record })
}

/// What `GET /v1/jobs/{id}` answers for `item`.
pub async fn item_status(app: &AppState, item: &Item) -> Result<AsyncStatus, ApiError> {
    let state = app.services.state.as_ref();
    let Some(result) = state.result(item.job, item.item).await? else {
        return match state.control(item.job).await? {
            // Expired with its job, while the record was still cached.
            JobControl::Missing => Err(no_such_job()),
            // The job ended without this item's result: it was cancelled before its turn.
            JobControl::Ended => Ok(AsyncStatus {
                status: "cancelled".to_string(),
                ..item.running()?
            }),
            JobControl::Running | JobControl::Stopping(_) => item.running(),
        };
    };
    let retention_ms = app.settings.async_result_retention_sec.saturating_mul(1000);
    if now_ms() > result.kept_at_ms.saturating_add(retention_ms) {
        return Err(no_such_job());
    }
    let event_id = event_id_for(&WebhookEvent::Page(result.event.clone()));
    let mut status = AsyncStatus::of_page(result.event).ok_or_else(no_such_job)?;
    if item.record.spec.callback.is_some() && callback_given_up(app, item.job, &event_id).await? {
        status.status = "cancelled".to_string();
    }
    Ok(status)
}

/// Whether the item's callback event is dead-lettered (every try failed, or its endpoint
/// is disabled).
async fn callback_given_up(app: &AppState, job: JobId, event_id: &str) -> Result<bool, ApiError> {
    let letters = app.services.deliveries.dead_letters(job).await?;
    Ok(letters.iter().any(|letter| letter.event_id == event_id))
}
