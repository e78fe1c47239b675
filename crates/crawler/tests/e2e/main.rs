//! The end-to-end suites, one test binary: every test binary links the whole stack again,
//! so they share one. Each module was a test binary of its own before.
//!
//! - `api`: the coordinator's HTTP API, the real binary over RabbitMQ and Redis;
//! - `async_jobs`: ScraperAPI's Async API (single jobs and batches), on both deployments;
//! - `cli`: the `crawler` command as a user runs it, on the in-memory backends;
//! - `crawl`: whole crawls, on the distributed roles and on `crawler serve`;
//! - `politeness`, `edge_cases`: what a crawled site sees, with two fetcher workers;
//! - `webhooks`: delivery by the dispatcher, signed, retried and dead-lettered, its log,
//!   redelivery and flow control;
//! - `outbound`: no proxy from the environment, no secret in any log;
//! - `plain_receivers`: a 500-page crawl into a one-thread receiver with a backlog of 5;
//! - `profiles`: receivers written from HasData's and WebScraper.io's documentation, body
//!   encodings, results downloads, continuations and purges, on both deployments;
//! - `schedules`: scheduled crawls through the API on both deployments, and due runs of
//!   stored schedules started by the coordinator or the `scheduler` role.
//!
//! `support` and `citizen` are helpers the suites share. The suites that kill roles or
//! restart the shared servers are in the `outages` test binary.
//!
//! Tests here run side by side (as many at once as the harness has threads), beside tests
//! of every other suite. A test whose assertions compare durations, or counts that depend
//! on how fast the machine is, takes [`alone`]: it waits for the tests running to end and
//! none starts until it is done, so that another suite's load cannot make it flake. Every
//! other test takes [`beside_others`], which is what lets [`alone`] mean alone.

/// Runs each named `async fn(Deployment)` of a suite as two tests: on the distributed roles
/// (two fetcher workers over real RabbitMQ and Redis) and on `crawler serve`. Defined
/// before the modules, so every suite sees it.
macro_rules! on_both_deployments {
    ($($name:ident),* $(,)?) => {
        mod distributed {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(crawler_testkit::cluster::Deployment::Distributed { workers: 2 }).await;
                }
            )*
        }
        mod embedded {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(crawler_testkit::cluster::Deployment::Embedded).await;
                }
            )*
        }
    };
}

mod api;
mod async_jobs;
mod citizen;
mod cli;
mod crawl;
mod edge_cases;
mod outbound;
mod plain_receivers;
mod politeness;
mod profiles;
mod schedules;
mod support;
mod webhooks;

use tokio::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Held shared by the tests that tolerate others beside them, exclusively by the others.
static MACHINE: RwLock<()> = RwLock::const_new(());

/// For a test that may run beside others; hold the guard until the test ends.
pub async fn beside_others() -> RwLockReadGuard<'static, ()> {
    MACHINE.read().await
}

/// For a test that times what a site or a process sees; hold the guard until the test
/// ends. Tokio's lock is fair, so a waiting `alone` test is not starved by a stream of
/// `beside_others` ones.
pub async fn alone() -> RwLockWriteGuard<'static, ()> {
    MACHINE.write().await
}
