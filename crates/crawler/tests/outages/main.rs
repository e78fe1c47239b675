//! The end-to-end suites that take something down, one test binary:
//!
//! - `crawl_faults`: a fetcher worker killed with SIGKILL, or stopped with SIGTERM,
//!   mid-crawl;
//! - `crawl_restarts`: the shared RabbitMQ or Redis restarted mid-crawl;
//! - `webhooks_restart`: the webhook dispatcher killed mid-schedule and started again;
//! - `summary_due`: a worker that dies, or whose summary publish fails, right after the
//!   close that ended the job (fault points armed with `CRAWLER_FAULTS`);
//! - `replay`: a worker that dies between two steps of a task whose redelivery meets a
//!   cancelled job, which must still replay what the first delivery recorded;
//! - `soak`: all of them at once on a 10,000-page crawl (ignored; `scripts/soak` runs it).
//!
//! A restart of the shared servers would disturb any test beside it, and a killed role
//! leaves its work for the others to redo under the clock of the test, so these tests run
//! one at a time: each holds [`one_at_a_time`] from its first line to its end. They live
//! apart from the `e2e` binary because Cargo runs test binaries one after another, so no
//! test there sees these outages.

mod crawl_faults;
mod crawl_restarts;
mod replay;
mod soak;
mod summary_due;
mod webhooks_restart;

// The helpers the `e2e` suites share; this binary uses part of them.
#[path = "../e2e/webhooks/harness.rs"]
mod harness;
#[path = "../e2e/support/mod.rs"]
mod support;

use tokio::sync::{Mutex, MutexGuard};

static SERIAL: Mutex<()> = Mutex::const_new(());

/// Waits until no other test of this binary runs; hold the guard until the test ends.
/// Tokio's lock does not poison, so a failed test does not fail the ones after it.
pub async fn one_at_a_time() -> MutexGuard<'static, ()> {
    SERIAL.lock().await
}
