//! What the coordinator does about deliveries, over the delivery store the dispatcher
//! writes: list a job's failed deliveries, replay them, re-enable an endpoint, read a
//! stored body. The routes (`crate::handlers::deliveries`) authenticate the caller and
//! check job ownership before calling these.
//!
//! | route                                            | operation                          |
//! |--------------------------------------------------|------------------------------------|
//! | `GET /v1/crawls/{jobId}/deliveries?state=failed` | [`DeliveryApi::failed_deliveries`] |
//! | `GET /v1/crawls/{jobId}/deliveries?state=all`    | [`DeliveryApi::job_attempts`]      |
//! | `GET /v1/webhooks/{name}/deliveries`             | [`DeliveryApi::endpoint_attempts`] |
//! | `POST /v1/deliveries/{deliveryId}/redeliver`     | [`DeliveryApi::redeliver`]         |
//! | `POST /v1/crawls/{jobId}/deliveries/replay`      | [`DeliveryApi::replay`]            |
//! | `POST /v1/webhooks/reenable` `{"url": ...}`      | [`DeliveryApi::reenable`]          |
//! | `GET /v1/crawls/{jobId}/pages?url=...`           | [`DeliveryApi::page_body`]         |

use std::sync::Arc;

use crawler_core::time::now_ms;
use crawler_core::{EventKind, JobId, WebhookEvent};
use crawler_deliveries::{
    Attempt, DeadReason, DeliveryStore, EndpointKey, StoreError, StoredBody, Tenant,
};
use crawler_queue::typed::EventsQueue;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

mod log;

pub use log::AttemptsPage;

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        if error.is_transient() {
            ApiError::unavailable("delivery store", &error)
        } else {
            ApiError::internal(&error)
        }
    }
}

/// One failed delivery as the listing shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailedDelivery {
    /// The `webhook-id` the event was (and will be) sent with.
    pub event_id: String,
    pub event: EventKind,
    /// The page's URL, for page events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub callback_url: String,
    pub reason: DeadReason,
    /// When the event was given up on, Unix milliseconds.
    pub dead_at: u64,
    /// Every attempt, oldest first.
    pub attempts: Vec<Attempt>,
}

/// The answer of the failed-deliveries listing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailedDeliveries {
    pub job_id: JobId,
    pub state: String,
    pub deliveries: Vec<FailedDelivery>,
}

/// The delivery operations, over the events queue and the delivery store.
#[derive(Clone)]
pub struct DeliveryApi {
    pub events: EventsQueue,
    pub deliveries: Arc<dyn DeliveryStore>,
}

impl DeliveryApi {
    pub fn new(events: EventsQueue, deliveries: Arc<dyn DeliveryStore>) -> Self {
        DeliveryApi { events, deliveries }
    }

    /// The job's dead-lettered events with every attempt.
    pub async fn failed_deliveries(&self, job: JobId) -> Result<FailedDeliveries, ApiError> {
        let letters = self.deliveries.dead_letters(job).await?;
        let deliveries = letters
            .into_iter()
            .map(|letter| FailedDelivery {
                url: match &letter.envelope.event {
                    WebhookEvent::Page(page) => Some(page.url.clone()),
                    _ => None,
                },
                event_id: letter.event_id,
                event: letter.kind,
                callback_url: letter.callback_url,
                reason: letter.reason,
                dead_at: letter.dead_at_ms,
                attempts: letter.attempts,
            })
            .collect();
        Ok(FailedDeliveries {
            job_id: job,
            state: "failed".to_string(),
            deliveries,
        })
    }

    /// Publishes the job's dead-lettered events again with their attempt count reset, page
    /// events before the summary, and removes their dead letters. Returns how many.
    ///
    /// The replayed page events count as unsettled again, so a replayed summary waits for
    /// them again. The dead letters are removed only after the publish is confirmed,
    /// and only if unchanged, so a crash or a replayed event failing again at once never
    /// loses a record.
    pub async fn replay(&self, job: JobId) -> Result<usize, ApiError> {
        let mut letters = self.deliveries.dead_letters(job).await?;
        if letters.is_empty() {
            return Ok(0);
        }
        letters.sort_by_key(|letter| letter.kind);
        let page_events: Vec<String> = letters
            .iter()
            .filter(|letter| letter.kind == EventKind::Page)
            .map(|letter| letter.event_id.clone())
            .collect();
        self.deliveries.forget_settled(job, &page_events).await?;
        let now = now_ms();
        let envelopes = letters.iter().map(|letter| {
            let mut envelope = letter.envelope.clone();
            envelope.attempt = 0;
            // A replay starts the event's life again, including the summary's patience.
            envelope.created_at_ms = now;
            envelope
        });
        self.events.publish(envelopes).await?;
        for letter in &letters {
            self.deliveries
                .remove_dead_letter(job, &letter.event_id, &letter.record_id)
                .await?;
        }
        Ok(letters.len())
    }

    /// Turns the tenant's disabled endpoint at `url` (a job's inline callback) back on.
    /// Returns whether it was disabled.
    pub async fn reenable(&self, tenant: &Tenant, url: &str) -> Result<bool, ApiError> {
        let endpoint = EndpointKey::inline(tenant, url);
        Ok(self.deliveries.reenable_endpoint(&endpoint).await?)
    }

    /// A page body left out of a webhook, while it is retained.
    pub async fn page_body(&self, job: JobId, url: &str) -> Result<Option<StoredBody>, ApiError> {
        Ok(self.deliveries.body(job, url).await?)
    }
}
