//! The scheduler's one integration test binary: the conformance suite of the schedule
//! stores and the tick loop's tests, each run against both backends (`memory`, `redis`),
//! plus what only one backend can get wrong.

#[macro_use]
mod common;
mod suite;

mod memory;
mod redis;
