//! Domain types shared by every role: jobs and their kinds, the messages that travel
//! through the queues, and the bodies of the webhooks users receive.
//!
//! Everything that crosses a process boundary is defined here, once, so that the
//! coordinator, the fetcher workers and the webhook dispatcher cannot disagree on a field
//! name. Queue messages are serde enums tagged by type with the version in the variant
//! name (`FetchTaskV1`), so a worker upgraded in a rolling deploy still reads the messages
//! an older one left in the queue.
//!
//! It also holds the one retry helper ([`retry`]), because every crate above needs it and
//! this is the only crate they all reach without depending upward.

pub mod async_job;
pub mod body_format;
pub mod events;
pub mod job;
pub mod kinds;
pub mod messages;
pub mod names;
pub mod redact;
pub mod results;
pub mod retry;
pub mod tenant;
pub mod time;
pub mod urlnorm;

pub use async_job::{AsyncOptions, AsyncRef, AsyncResponse, AsyncStatus};
pub use body_format::{ContentEncoding, ContentType};
pub use events::{
    CompletedUrl, FailedUrl, PageEvent, PageResponse, StartedEvent, StopReason, SummaryEvent,
    WebhookEvent,
};
pub use job::{
    ApiParams, Callback, EventKind, JobId, JobRecord, JobSpec, JobState, JobStatus, PayloadMode,
    Scope,
};
pub use kinds::{JobKind, KindRules, RetryRule, SeedSource};
pub use messages::{EventEnvelope, FetchTask, QueueMessage};
pub use names::Namespace;
pub use results::PageResult;
pub use tenant::Tenant;
