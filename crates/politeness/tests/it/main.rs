//! The politeness crate's integration tests, one test binary:
//!
//! - `memory`: the gate conformance suite against the in-memory stores, the factory, and
//!   the facade's arithmetic on tokio's paused clock;
//! - `redis`: the same suite against Redis, and what only a shared store shows;
//! - `robots_cache`: how robots.txt answers are cached and shared;
//! - `robots_rfc`: robots.txt rules as RFC 9309 reads them.
//!
//! `common` holds the helpers and the suite they share.

#[macro_use]
mod common;

mod memory;
mod redis;
mod robots_cache;
mod robots_rfc;
