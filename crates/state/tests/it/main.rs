//! The job store's integration tests, one test binary (each extra binary links the whole
//! store again):
//!
//! - `memory`: the conformance suite against the in-memory store, and its factory;
//! - `redis`: the same suite against Redis, and what only Redis can get wrong.
//!
//! `common` holds the helpers and the one conformance suite both run.

#[macro_use]
mod common;

mod memory;
mod redis;
