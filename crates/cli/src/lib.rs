//! The `crawler` command's subcommands, as a library so that their parts can be tested
//! and the binary stays a thin `main.rs`:
//!
//! - [`crawl`]: a whole crawl in this process, on the in-memory backends;
//! - [`serve`]: the HTTP API with every role in this process;
//! - [`client`]: `submit`, `status`, `watch`, `cancel` and `jobs` against any coordinator;
//! - [`sink`]: a local webhook receiver that checks signatures and prints deliveries.

pub mod client;
pub mod crawl;
mod demo;
pub mod keys;
mod local;
mod output;
pub mod progress;
mod refusal;
pub mod serve;
pub mod sink;

/// Logging for the command line: warnings only for `crawl`, `sink` and the client
/// commands, whose output is for people; `info` for `serve`. `RUST_LOG` overrides both.
/// Colours only on a terminal, so a log redirected to a file has no escape codes.
pub fn init_logging(quiet: bool) {
    let default = if quiet { "warn" } else { "info" };
    crawler_config::init_tracing_with(crawler_config::LogFormat::Text, default);
}
