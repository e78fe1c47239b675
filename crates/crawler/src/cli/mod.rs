pub mod client;
pub mod crawl;
mod demo;
mod local;
mod output;
pub mod progress;
pub mod serve;
pub mod sink;

/// Logging for the command line: warnings only for `crawl` and the client commands, whose
/// output is for people; `info` for `serve`. `RUST_LOG` overrides both.
pub fn init_logging(quiet: bool) {
    use tracing_subscriber::EnvFilter;
    let default = if quiet { "warn" } else { "info" };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
