//! The coordinator crate's integration tests, one test binary:
//!
//! - `backend_failures`: the API served in-process while a backend fails.

mod backend_failures;
