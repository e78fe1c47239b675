//! The webhook dispatcher: consumes the events queue and POSTs each event, signed per the
//! Standard Webhooks specification, to its job's callback.
//!
//! - Every event goes through one pipeline (`pipeline`: select, shape, encode, sign,
//!   send), configured by the target's [`profiles::DeliveryProfile`]; body formats live
//!   in [`encoding`].
//! - Retries are data: a failed attempt publishes a copy of the event with `attempt + 1`
//!   to the broker with a delay from the configured schedule, before the original is
//!   acked, so a restarted dispatcher resumes where it was ([`schedule`]).
//! - What must be remembered (attempts, dead letters, endpoint health, bodies left out of
//!   webhooks, which events were delivered) lives in a [`crawler_deliveries::DeliveryStore`],
//!   which the coordinator reads to serve failed deliveries, replays and stored bodies.
//! - A job's summary waits until its page events are delivered or dead-lettered, for at
//!   most `summary_hold_max` ([`ordering`]).
//! - At most `webhook_max_in_flight_per_endpoint` requests go to one endpoint at once
//!   (`flow`); a refused or reset connection is retried quickly before the long schedule.
//! - Every attempt goes to the delivery log, per job and per endpoint (`delivery_log`).
//!
//! Nothing here ever blocks the crawl: the fetcher workers only publish events, and a
//! slow receiver only keeps its own events waiting in the queue.

pub mod client;
mod deliver;
mod delivery_log;
pub mod encoding;
mod flow;
mod handled;
mod headers;
pub mod ordering;
pub mod payload;
mod pipeline;
pub mod profiles;
mod runner;
pub mod schedule;
pub mod signing;
mod target;
mod target_cache;
pub mod test_event;

use std::sync::Arc;

use crawler_queue::Queue;
use crawler_state::StateStore;

use crawler_deliveries::endpoints::EndpointStore;
use crawler_deliveries::DeliveryStore;
pub use handled::Handled;
pub use headers::WEBHOOK_USER_AGENT;
pub use runner::{run, DispatchError};

/// The services the dispatcher works with, connected by the caller so that tests and the
/// embedded mode can hand in their own.
#[derive(Clone)]
pub struct DispatcherServices {
    pub queue: Arc<dyn Queue>,
    pub state: Arc<dyn StateStore>,
    pub deliveries: Arc<dyn DeliveryStore>,
    /// The tenants' stored endpoints, which jobs name with `webhook_name`.
    pub endpoints: Arc<dyn EndpointStore>,
}
