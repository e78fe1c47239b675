//! The behaviour every backend must have, one function per test; `backend_suite!` runs
//! each of them on each backend.

pub mod lease;
pub mod store;
pub mod tick;
pub mod triggers;
