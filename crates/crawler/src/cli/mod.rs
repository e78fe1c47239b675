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
    use std::io::IsTerminal;
    use tracing_subscriber::EnvFilter;
    let default = if quiet { "warn" } else { "info" };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .try_init();
}
