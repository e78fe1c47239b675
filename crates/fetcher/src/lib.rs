//! The fetcher worker's library: HTTP fetching behind the private-network guard, link
//! extraction and text decoding.
//!
//! `worker` is the task loop; `scope` decides which links a job follows.

pub mod decode;
pub mod fetch;
pub mod links;
pub mod scope;
pub mod worker;
