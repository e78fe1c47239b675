//! ScraperAPI's Async API over job kinds `fetch` and `batch`: the request body, its
//! validation and reading an item's status. The routes are in
//! [`crate::handlers::async_jobs`].
//!
//! A batch is one job of kind `batch` whose seeds are its URLs, not one job per URL, so its
//! pages are fetched at crawl speed with no per-job overhead; each URL is an item of it with
//! an id of its own (`crawler_core::async_job`). A single async job is a `fetch` job: a
//! batch of one.

pub mod request;
pub mod status;
pub mod validate;

pub use request::AsyncRequest;
pub use validate::{batch_spec, fetch_spec, AsyncRules};
