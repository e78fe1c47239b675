//! A receiver that records every request (arrival time, headers, exact body bytes) and
//! answers as its test says, request by request. It decodes nothing: each test reads the
//! requests the way the receiving service's documentation says.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};

/// How the inbox answers one request.
#[derive(Debug, Clone, Copy)]
pub enum Answer {
    Status(u16),
    /// Wait this long, then 200 (a receiver slower than the sender's timeout).
    After(Duration),
}

/// What the inbox answers the `n`-th request (from 0), given its headers.
pub type Plan = Arc<dyn Fn(usize, &HeaderMap) -> Answer + Send + Sync>;

#[derive(Debug, Clone)]
pub struct Request {
    pub at: Instant,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

struct Inner {
    plan: Plan,
    requests: Vec<Request>,
}

pub struct Inbox {
    pub url: String,
    shared: Arc<Mutex<Inner>>,
    server: tokio::task::JoinHandle<()>,
}

impl Inbox {
    pub async fn start(
        plan: impl Fn(usize, &HeaderMap) -> Answer + Send + Sync + 'static,
    ) -> Inbox {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the inbox");
        let url = format!("http://{}/webhook", listener.local_addr().expect("address"));
        let shared = Arc::new(Mutex::new(Inner {
            plan: Arc::new(plan),
            requests: Vec::new(),
        }));
        let app = axum::Router::new()
            .fallback(receive)
            .with_state(shared.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Inbox {
            url,
            shared,
            server,
        }
    }

    pub fn requests(&self) -> Vec<Request> {
        self.shared.lock().expect("inbox").requests.clone()
    }

    /// Waits until `done` holds for the requests so far, or panics after `timeout`.
    pub async fn wait_until(
        &self,
        timeout: Duration,
        what: &str,
        done: impl Fn(&[Request]) -> bool,
    ) -> Vec<Request> {
        let deadline = Instant::now() + timeout;
        loop {
            let requests = self.requests();
            if done(&requests) {
                return requests;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; {} requests arrived",
                requests.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Inbox {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn receive(
    State(shared): State<Arc<Mutex<Inner>>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let answer = {
        let mut inner = shared.lock().expect("inbox");
        let n = inner.requests.len();
        let answer = (inner.plan)(n, &headers);
        inner.requests.push(Request {
            at: Instant::now(),
            headers,
            body,
        });
        answer
    };
    match answer {
        Answer::Status(code) => StatusCode::from_u16(code).unwrap_or(StatusCode::OK),
        Answer::After(pause) => {
            tokio::time::sleep(pause).await;
            StatusCode::OK
        }
    }
}
