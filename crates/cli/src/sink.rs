//! `crawler sink`: a local webhook receiver, so a user can watch a job's webhooks arrive
//! without an outside service.
//!
//! It accepts `POST` on any path, verifies the Standard Webhooks signature when it has the
//! secret, prints one line per delivery to stdout and can append each delivery to a file
//! as a JSON line. It answers 401 to a delivery whose signature is wrong, as a real
//! receiver should, so the sender's retry and dead-letter behaviour can be watched too.
//! Like the roles, it takes its shutdown signal as a parameter, so tests can stop it.

mod delivery;
#[cfg(test)]
mod tests;
mod verify;

use std::future::Future;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::Router;
use clap::Args;
use crawler_dispatcher::signing::WebhookSecret;
use tokio::io::AsyncWriteExt;
use tokio::sync::{oneshot, Mutex};

pub use delivery::{readable_line, record};
pub use verify::{parse_secret, verify, Verdict, TIMESTAMP_TOLERANCE};

/// Largest delivery accepted. Page webhooks carry the page body inline, which can be a
/// few megabytes; anything larger than this is not a delivery from this crawler.
const MAX_DELIVERY_BYTES: usize = 64 * 1024 * 1024;

#[derive(Debug, Clone, Args)]
pub struct SinkArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:9000")]
    pub addr: SocketAddr,
    /// The job's webhook secret; without it signatures are shown as "unchecked".
    #[arg(
        long,
        env = "CRAWLER_SINK_SECRET",
        hide_env_values = true,
        value_name = "whsec_..."
    )]
    pub secret: Option<String>,
    /// Append each delivery to this file as a JSON line.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print nothing per delivery (the --output file still gets them).
    #[arg(long)]
    pub quiet: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    #[error("--secret is not a webhook secret: expected whsec_ followed by base64")]
    BadSecret,
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot open {path} for appending: {source}")]
    Output {
        path: String,
        source: std::io::Error,
    },
    #[error("the sink stopped serving: {0}")]
    Serve(std::io::Error),
}

struct Sink {
    key: Option<WebhookSecret>,
    output: Option<Mutex<tokio::fs::File>>,
    quiet: bool,
}

/// Serves until `shutdown` completes. The bound address is sent on `ready` once the sink
/// accepts connections.
pub async fn run(
    args: SinkArgs,
    ready: Option<oneshot::Sender<SocketAddr>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let key = match &args.secret {
        Some(secret) => Some(parse_secret(secret).ok_or(SinkError::BadSecret)?),
        None => None,
    };
    let output = match &args.output {
        Some(path) => Some(Mutex::new(open_output(path).await?)),
        None => None,
    };
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .map_err(|source| SinkError::Listen {
            addr: args.addr,
            source,
        })?;
    let addr = listener.local_addr().map_err(SinkError::Serve)?;
    let checking = if key.is_some() {
        "checking signatures"
    } else {
        "not checking signatures (no --secret)"
    };
    eprintln!("listening on http://{addr}, {checking}");
    let sink = Arc::new(Sink {
        key,
        output,
        quiet: args.quiet,
    });
    let app = Router::new()
        .fallback(receive)
        .layer(DefaultBodyLimit::max(MAX_DELIVERY_BYTES))
        .with_state(sink);
    if let Some(ready) = ready {
        // The caller may have stopped waiting; the sink serves either way.
        let _ = ready.send(addr);
    }
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(SinkError::Serve)?;
    Ok(())
}

async fn open_output(path: &PathBuf) -> Result<tokio::fs::File, SinkError> {
    tokio::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .await
        .map_err(|source| SinkError::Output {
            path: path.display().to_string(),
            source,
        })
}

async fn receive(
    State(sink): State<Arc<Sink>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, &'static str) {
    if method != Method::POST {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            "the sink accepts POST only\n",
        );
    }
    let now = SystemTime::now();
    let now_secs = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let verdict = verify(sink.key.as_ref(), &headers, &body, now_secs);
    if !sink.quiet {
        let clock = chrono::Local::now().format("%H:%M:%S").to_string();
        let line = readable_line(&clock, &body, &verdict);
        // A closed stdout (`crawler sink | head`) must not fail deliveries.
        let _ = writeln!(std::io::stdout().lock(), "{line}");
    }
    if let Some(output) = &sink.output {
        let received_at = chrono::DateTime::<chrono::Utc>::from(now)
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let mut line = record(&received_at, &headers, &body, &verdict).to_string();
        line.push('\n');
        let mut file = output.lock().await;
        if let Err(error) = write_line(&mut file, line.as_bytes()).await {
            // Answering an error makes the sender retry, so the delivery is not lost.
            eprintln!("warning: could not store a delivery: {error}");
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the sink could not store the delivery\n",
            );
        }
    }
    match verdict {
        Verdict::Invalid(_) => (StatusCode::UNAUTHORIZED, "invalid webhook signature\n"),
        Verdict::Valid | Verdict::Unchecked => (StatusCode::OK, "ok\n"),
    }
}

async fn write_line(file: &mut tokio::fs::File, line: &[u8]) -> std::io::Result<()> {
    file.write_all(line).await?;
    // Flushed per delivery, so a reader of the file sees it as soon as it is answered.
    file.flush().await
}
