//! The dispatcher's integration tests, one test binary:
//!
//! - `embedded`: the dispatcher over the in-memory backends of the embedded mode.

mod embedded;
