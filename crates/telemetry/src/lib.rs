//! Prometheus metrics for every role.
//!
//! Roles count through the `metrics` facade (`metrics::counter!`), so the same code works in
//! a distributed role and in the embedded mode, where one process exports everything. The
//! recorder is installed once per process, on first use. The coordinator serves the text on
//! its API's `/metrics`; the fetcher workers and dispatchers, which have no API, serve it,
//! with `/healthz` and `/readyz`, on `metrics_addr` when that is set.

pub mod readiness;

use std::future::Future;
use std::sync::OnceLock;

use axum::routing::get;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
pub use readiness::Readiness;
use tokio::net::TcpListener;

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's Prometheus handle, installing the recorder the first time.
pub fn prometheus() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("another metrics recorder is installed; /metrics stays empty");
            }
            handle
        })
        .clone()
}

/// The exposition text.
pub fn render() -> String {
    let handle = prometheus();
    handle.run_upkeep();
    handle.render()
}

/// Serves `GET /metrics`, `GET /healthz` and `GET /readyz` (answered by `readiness`) on
/// `listener` until `shutdown`.
pub async fn serve_metrics(
    listener: TcpListener,
    readiness: Readiness,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    prometheus();
    let app = axum::Router::new()
        .route("/metrics", get(|| async { render() }))
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/readyz",
            get(move || {
                let readiness = readiness.clone();
                async move { readiness.answer().await }
            }),
        );
    if let Ok(addr) = listener.local_addr() {
        // The same "listening on http://ADDR" line as the coordinator's API, so tools (and
        // the tests) find any role's address one way.
        tracing::info!("listening on http://{addr} (/metrics, /healthz, /readyz)");
    }
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn counters_show_up_on_the_metrics_endpoint() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        super::prometheus();
        let ready = super::Readiness::new(|| async { vec![("queue", true)] });
        tokio::spawn(super::serve_metrics(
            listener,
            ready,
            std::future::pending(),
        ));
        metrics::counter!("crawler_test_total", "kind" => "x").increment(3);
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        stream
            .write_all(b"GET /metrics HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut text = String::new();
        stream.read_to_string(&mut text).await.unwrap();
        assert!(text.contains("crawler_test_total{kind=\"x\"} 3"), "{text}");
    }
}
