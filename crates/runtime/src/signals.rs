//! How a role's process ends: on SIGINT or SIGTERM, gracefully, and with one line and
//! status 1 when it fails.

use std::fmt::Display;

/// Ends a role's process: nothing on success, else one line (causes included, for people
/// and log shippers alike) and exit status 1. The alternate form prints an
/// `anyhow::Error` with its chain of causes.
pub fn exit_on_error<E: Display>(role: &str, outcome: Result<(), E>) {
    if let Err(error) = outcome {
        eprintln!("{role}: {error:#}");
        std::process::exit(1);
    }
}

/// Resolves on the first SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
    tracing::info!("shutdown requested");
}
