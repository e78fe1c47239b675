pub mod client;
pub mod crawl;
mod demo;
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
