//! The delivery log as the API serves it (every attempt, per job and per endpoint, paged
//! with a cursor) and the redelivery of one event.

use crawler_core::time::now_ms;
use crawler_core::{EventEnvelope, EventKind, JobId};
use crawler_deliveries::{EndpointKey, LogCursor, LogEntry, LogPage};
use serde::{Deserialize, Serialize};

use super::DeliveryApi;
use crate::error::ApiError;

/// One page of a delivery log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttemptsPage {
    /// Oldest first.
    pub attempts: Vec<LogEntry>,
    /// Pass it as `cursor` to read on; entries logged later come after it.
    pub next_cursor: String,
    /// Whether more entries were already there.
    pub has_more: bool,
}

impl From<LogPage> for AttemptsPage {
    fn from(page: LogPage) -> Self {
        AttemptsPage {
            attempts: page.entries,
            next_cursor: page.next.to_string(),
            has_more: page.has_more,
        }
    }
}

impl DeliveryApi {
    /// A page of the job's delivery log.
    pub async fn job_attempts(
        &self,
        job: JobId,
        cursor: LogCursor,
    ) -> Result<AttemptsPage, ApiError> {
        Ok(self.deliveries.job_log(job, cursor).await?.into())
    }

    /// A page of an endpoint's delivery log.
    pub async fn endpoint_attempts(
        &self,
        endpoint: &EndpointKey,
        cursor: LogCursor,
    ) -> Result<AttemptsPage, ApiError> {
        Ok(self.deliveries.endpoint_log(endpoint, cursor).await?.into())
    }

    /// Sends the job's event `event_id` once more, as it was first sent (same
    /// `webhook-id`, signed anew), with a fresh retry schedule. `None` when the event is
    /// not kept (never sent, or past `body_retention_sec`).
    ///
    /// The event counts as not delivered again, and a page event as unsettled, so a
    /// summary still waiting waits for it too.
    pub async fn redeliver(
        &self,
        job: JobId,
        event_id: &str,
    ) -> Result<Option<EventEnvelope>, ApiError> {
        let Some(mut envelope) = self.deliveries.kept_event(job, event_id).await? else {
            return Ok(None);
        };
        self.deliveries.unmark_delivered(job, event_id).await?;
        if envelope.event.kind() == EventKind::Page {
            self.deliveries
                .forget_settled(job, &[event_id.to_string()])
                .await?;
        }
        envelope.attempt = 0;
        envelope.quick_retries = 0;
        envelope.created_at_ms = now_ms();
        self.events.publish([envelope.clone()]).await?;
        Ok(Some(envelope))
    }
}
