//! Helpers shared by the end-to-end tests (the `crawler` package's `tests/e2e` and
//! `tests/outages`) and the benchmark.

pub mod cluster;
pub mod one_thread_receiver;
pub mod process;
pub mod receiver;
pub mod services;
pub mod site;
