//! Tracing set-up shared by every binary.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::LogFormat;

/// Logs to stderr, filtered by `RUST_LOG` (default `info`), as text or JSON lines.
pub fn init_tracing(format: LogFormat) {
    init_tracing_with(format, "info");
}

/// Like [`init_tracing`] with another filter when `RUST_LOG` is unset: the command line
/// logs only warnings around output meant for people. Text is coloured only on a terminal
/// and without `NO_COLOR`, so redirected logs carry no escape codes.
pub fn init_tracing_with(format: LogFormat, default_filter: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour);
    // A second initialisation (tests, embedded mode) is harmless; ignore its error.
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}
