//! The webhook endpoint of the distributed runs. It keeps each delivery's id and body for
//! the checks after the run, and unlike the test receiver it stops its server when
//! dropped, so the bodies of one run (a few hundred MB for 10,000 pages) are freed before
//! the next run starts.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};

/// One webhook request.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The `webhook-id` header, the same across retries of one event.
    pub id: String,
    pub body: Bytes,
    pub at: Instant,
}

type Shared = Arc<Mutex<Vec<Delivery>>>;

pub struct Receiver {
    pub addr: SocketAddr,
    deliveries: Shared,
    server: tokio::task::JoinHandle<()>,
}

impl Receiver {
    pub async fn start() -> std::io::Result<Receiver> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let deliveries = Shared::default();
        let app = axum::Router::new()
            .fallback(receive)
            .with_state(Arc::clone(&deliveries));
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Receiver {
            addr,
            deliveries,
            server,
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    /// Runs `inspect` over the deliveries so far without copying them.
    pub fn with_deliveries<T>(&self, inspect: impl FnOnce(&[Delivery]) -> T) -> T {
        match self.deliveries.lock() {
            Ok(deliveries) => inspect(&deliveries),
            Err(poisoned) => inspect(&poisoned.into_inner()),
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.server.abort();
        if let Ok(mut deliveries) = self.deliveries.lock() {
            // Connections still open keep the state alive a little longer; free the bodies now.
            deliveries.clear();
            deliveries.shrink_to_fit();
        }
    }
}

async fn receive(State(deliveries): State<Shared>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let id = headers
        .get("webhook-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    if let Ok(mut deliveries) = deliveries.lock() {
        deliveries.push(Delivery {
            id,
            body,
            at: Instant::now(),
        });
    }
    StatusCode::OK
}
