//! What travels through the queues.
//!
//! Each message is a serde enum tagged by `type`, with the version in the variant name.
//! A new field with a default can be added to a V1 struct; a change that old readers
//! cannot follow gets a V2 variant while V1 is still read, so a rolling upgrade never
//! strands messages already queued.

use serde::{Deserialize, Serialize};

use crate::events::WebhookEvent;
use crate::job::JobId;

/// Fetch one URL of one job.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FetchTask {
    pub job_id: JobId,
    /// Normalised absolute URL; it is the task's identity within the job.
    pub url: String,
    /// 0 for a seed (a crawl's start URL, each URL of a batch), parent + 1 for a link.
    pub depth: u32,
    /// Tries already made (0 on the first delivery). Retries are re-published copies with
    /// `attempt + 1` and a delay, rather than a worker sleeping on the task.
    #[serde(default)]
    pub attempt: u32,
    /// Why the last try failed, kept so the final failure can name the cause.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// The seed's number (1-based) when each seed of the job is a job of its own
    /// (`KindRules::seeds_are_jobs`); 0 otherwise.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub item: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl FetchTask {
    /// The depth-0 task of one of a job's seed URLs.
    pub fn seed(job_id: JobId, url: String) -> Self {
        FetchTask {
            job_id,
            url,
            depth: 0,
            attempt: 0,
            last_error: None,
            item: 0,
        }
    }
}

/// A webhook event on its way to delivery, with its delivery bookkeeping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventEnvelope {
    /// Stable across retries and re-publications: the `webhook-id` receivers dedupe on.
    pub event_id: String,
    pub job_id: JobId,
    /// Delivery attempts already made.
    #[serde(default)]
    pub attempt: u32,
    /// How many of those retries were quick ones after a connection-level failure, taken
    /// before the long retry schedule starts (so the schedule's position is `attempt -
    /// quick_retries`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub quick_retries: u32,
    pub created_at_ms: u64,
    pub event: WebhookEvent,
}

impl EventEnvelope {
    pub fn new(event: WebhookEvent) -> Self {
        let event_id = event_id_for(&event);
        EventEnvelope {
            event_id,
            job_id: event.job_id(),
            attempt: 0,
            quick_retries: 0,
            created_at_ms: crate::time::now_ms(),
            event,
        }
    }
}

/// One event id per (job, kind, url): a page re-processed after a crash produces the same
/// id, so receivers (and the dispatcher) see a duplicate rather than a new event.
pub fn event_id_for(event: &WebhookEvent) -> String {
    match event {
        WebhookEvent::Started(e) => format!("msg_{}_started", e.job_id.0.simple()),
        // A continued job's later summaries are new events, not repeats of the first.
        WebhookEvent::Summary(e) if e.round > 0 => {
            format!("msg_{}_finished_{}", e.job_id.0.simple(), e.round)
        }
        WebhookEvent::Summary(e) => format!("msg_{}_finished", e.job_id.0.simple()),
        WebhookEvent::Page(e) => format!("msg_{}_page_{}", e.job_id.0.simple(), url_digest(&e.url)),
    }
}

/// The job an event id (as made by [`event_id_for`]) belongs to: what lets a delivery be
/// named by its event id alone and still be checked against the job's owner.
pub fn job_of_event_id(event_id: &str) -> Option<JobId> {
    let rest = event_id.strip_prefix("msg_")?;
    let simple = rest.get(..32)?;
    uuid::Uuid::try_parse(simple).ok().map(JobId)
}

/// The first 128 bits of the URL's SHA-256, in hex. A crawled site chooses its URLs, so
/// the id must resist a crafted collision: two pages sharing an id would let one page's
/// event suppress the other's as a duplicate.
fn url_digest(url: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(url.as_bytes());
    digest[..16]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Every message any queue carries.
// A message is decoded, handled and dropped; boxing the larger variant would only add an
// allocation to every event.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum QueueMessage {
    FetchTaskV1(FetchTask),
    EventV1(EventEnvelope),
}

#[derive(Debug, thiserror::Error)]
#[error("undecodable queue message: {0}")]
pub struct DecodeError(#[from] serde_json::Error);

impl QueueMessage {
    pub fn encode(&self) -> Vec<u8> {
        // Serialising these types cannot fail: they hold no maps with non-string keys.
        serde_json::to_vec(self).unwrap_or_default()
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        Ok(serde_json::from_slice(bytes)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fetch_task_v1_wire_format_is_stable() {
        // A message as an older worker wrote it, without the optional fields.
        let raw = br#"{"type":"FetchTaskV1","job_id":"0191e6c4-0000-7000-8000-000000000000","url":"http://a/","depth":2}"#;
        let QueueMessage::FetchTaskV1(task) = QueueMessage::decode(raw).unwrap() else {
            panic!("wrong variant");
        };
        assert_eq!(task.depth, 2);
        assert_eq!(task.attempt, 0);
        let again =
            QueueMessage::decode(&QueueMessage::FetchTaskV1(task.clone()).encode()).unwrap();
        assert_eq!(again, QueueMessage::FetchTaskV1(task));
    }

    #[test]
    fn an_event_id_names_its_job() {
        let job = JobId::generate();
        let event = WebhookEvent::Started(crate::events::StartedEvent {
            job_id: job,
            start_url: "http://a/".into(),
            meta: serde_json::Value::Null,
        });
        assert_eq!(job_of_event_id(&event_id_for(&event)), Some(job));
        assert_eq!(job_of_event_id("msg_nothex_started"), None);
        assert_eq!(job_of_event_id("evt_1"), None);
    }

    fn page_at(job: JobId, url: &str) -> WebhookEvent {
        WebhookEvent::Page(crate::events::PageEvent {
            job_id: job,
            url: url.into(),
            final_url: None,
            status: "finished".into(),
            credits: 1,
            attempts: 1,
            start_url: "http://a/".into(),
            current_depth: 0,
            current_cost: 1,
            fail_reason: None,
            response: None,
            meta: serde_json::Value::Null,
            async_job: None,
        })
    }

    #[test]
    fn a_page_event_id_is_the_job_and_128_bits_of_the_url_digest() {
        let job = JobId::generate();
        let id = event_id_for(&page_at(job, "http://a/x"));
        let digest = id
            .strip_prefix(&format!("msg_{}_page_", job.0.simple()))
            .expect("job id first");
        assert_eq!(digest.len(), 32, "128 bits in hex: {id}");
        assert!(digest.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(id, event_id_for(&page_at(job, "http://a/x")), "stable");
        assert_ne!(id, event_id_for(&page_at(job, "http://a/y")));
        assert_eq!(job_of_event_id(&id), Some(job));
    }
}
