//! A webhook receiver on loopback that records what arrives, and an independent
//! implementation of Standard Webhooks verification (hmac + sha2 directly, not the
//! dispatcher's code).

// Shared by several test binaries, each of which uses only part of it.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

/// How the receiver answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    Ok,
    /// 500 to the first `n` requests of each webhook-id, then 200.
    FailFirst(usize),
    /// Always this status.
    Always(u16),
}

#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub status: u16,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("webhook body is JSON")
    }

    pub fn event(&self) -> String {
        self.json()["event"].as_str().unwrap_or("").to_string()
    }
}

struct Inner {
    behaviour: Behaviour,
    received: Vec<Received>,
    per_id: HashMap<String, usize>,
}

#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    inner: Arc<Mutex<Inner>>,
}

impl Receiver {
    pub async fn start(behaviour: Behaviour) -> Receiver {
        let inner = Arc::new(Mutex::new(Inner {
            behaviour,
            received: Vec::new(),
            per_id: HashMap::new(),
        }));
        let app = Router::new()
            .route("/hook", post(receive))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver {
            url: format!("http://{addr}/hook"),
            inner,
        }
    }

    pub fn set_behaviour(&self, behaviour: Behaviour) {
        self.inner.lock().unwrap().behaviour = behaviour;
    }

    pub fn received(&self) -> Vec<Received> {
        self.inner.lock().unwrap().received.clone()
    }

    /// The requests answered with a 2xx, in arrival order.
    pub fn accepted(&self) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| (200..300).contains(&r.status))
            .collect()
    }

    /// Waits until `done` holds for the requests received so far.
    pub async fn wait_until(
        &self,
        what: &str,
        timeout: Duration,
        done: impl Fn(&[Received]) -> bool,
    ) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        loop {
            let received = self.received();
            if done(&received) {
                return received;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; received {} requests: {:?}",
                received.len(),
                received
                    .iter()
                    .map(|r| (r.status, r.header("webhook-id").to_string()))
                    .collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until `n` requests were accepted.
    pub async fn wait_accepted(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let what = format!("{n} accepted webhooks");
        self.wait_until(&what, timeout, |r| {
            r.iter().filter(|r| (200..300).contains(&r.status)).count() >= n
        })
        .await;
        self.accepted()
    }
}

async fn receive(
    State(inner): State<Arc<Mutex<Inner>>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let mut inner = inner.lock().unwrap();
    let id = headers
        .get("webhook-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let seen = {
        let count = inner.per_id.entry(id).or_default();
        *count += 1;
        *count
    };
    let status = match inner.behaviour {
        Behaviour::Ok => 200,
        Behaviour::FailFirst(n) if seen <= n => 500,
        Behaviour::FailFirst(_) => 200,
        Behaviour::Always(status) => status,
    };
    inner.received.push(Received {
        headers,
        body: body.to_vec(),
        status,
    });
    StatusCode::from_u16(status).unwrap()
}

/// Verifies a request the way the Standard Webhooks specification tells receivers to:
/// HMAC-SHA256 over `id.timestamp.body` with the base64-decoded secret, compared with
/// every `v1,` entry of the signature header.
pub fn signature_is_valid(secret: &str, request: &Received) -> bool {
    let key = STANDARD
        .decode(secret.trim_start_matches("whsec_"))
        .expect("test secret is base64");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    let signed = format!(
        "{}.{}.",
        request.header("webhook-id"),
        request.header("webhook-timestamp")
    );
    mac.update(signed.as_bytes());
    mac.update(&request.body);
    let expected = STANDARD.encode(mac.finalize().into_bytes());
    request
        .header("webhook-signature")
        .split(' ')
        .filter_map(|entry| entry.strip_prefix("v1,"))
        .any(|sig| sig == expected)
}
