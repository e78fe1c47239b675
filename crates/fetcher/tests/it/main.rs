//! The fetcher's integration tests, one test binary (each extra binary links the whole
//! fetcher again):
//!
//! - `fetch_pages`, `fetch_failures`: the HTTP fetcher against loopback servers;
//! - `links`: link extraction, streaming and DOM, on tricky pages;
//! - `worker`: the worker loop over the in-memory backends, against breadth-first search.
//!
//! `support` holds the test servers the fetch tests share.

mod fetch_failures;
mod fetch_pages;
mod links;
mod support;
mod worker;
