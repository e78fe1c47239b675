//! The `crawler` command-line program as a library, so its parts can be tested and the
//! binary stays a thin `main.rs`.

pub mod cli;
pub mod embedded;
pub mod runtime;
