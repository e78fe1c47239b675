//! Ctrl-C for `crawl`, as a stream of signals rather than one future per wait.

use anyhow::Context;

/// SIGINT as a stream: every signal after [`Interrupts::listen`] is seen, even one that
/// arrives while the caller is busy with something else. A fresh `tokio::signal::ctrl_c()`
/// per loop turn would miss a signal that lands between two turns, and since the handler
/// is installed, the process would not stop either: the Ctrl-C would be lost.
pub struct Interrupts {
    #[cfg(unix)]
    signal: tokio::signal::unix::Signal,
}

impl Interrupts {
    pub fn listen() -> anyhow::Result<Interrupts> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let signal = signal(SignalKind::interrupt()).context("cannot listen for Ctrl-C")?;
            Ok(Interrupts { signal })
        }
        #[cfg(not(unix))]
        Ok(Interrupts {})
    }

    /// Resolves on the next Ctrl-C; never, if signals cannot be received.
    pub async fn recv(&mut self) {
        #[cfg(unix)]
        {
            if self.signal.recv().await.is_none() {
                std::future::pending::<()>().await;
            }
        }
        #[cfg(not(unix))]
        {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}
