//! A webhook receiver for tests: records every delivery (headers, exact body bytes, arrival
//! time, the status it answered) and answers as its [`Behaviour`] says, with a short body
//! naming the request (`answer <n> to <webhook-id>`, the n-th request of that id). It
//! counts the requests it is handling at once ([`Receiver::max_in_flight`]). Also an independent
//! implementation of Standard Webhooks verification (hmac and sha2 directly, not the
//! dispatcher's code), so a test can check signatures without trusting what it tests.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How the receiver answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    Ok,
    /// 500 to the first `n` requests of each webhook-id, then 200.
    FailFirst(usize),
    /// Always this status.
    Always(u16),
    /// Never answers (requests are still recorded).
    Hang,
    /// 200, after taking this long over each request.
    Slow(Duration),
    /// 500 to every request whose body's `event` is this one, 200 to the others.
    FailEvent(&'static str),
    /// 500 to the first request of every other webhook-id (chosen by a hash of the id, so
    /// about half of them), then 200.
    FailFirstOfHalf,
}

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Bytes,
    pub at: Instant,
    /// What the receiver answered; 0 when it hung.
    pub status: u16,
}

impl Received {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("webhook body is JSON")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body's `event` field.
    pub fn event(&self) -> String {
        self.json()["event"].as_str().unwrap_or("").to_string()
    }

    fn accepted(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

struct Inner {
    behaviour: Behaviour,
    received: Vec<Received>,
    attempts_per_id: HashMap<String, usize>,
    in_flight: usize,
    max_in_flight: usize,
}

type Shared = Arc<Mutex<Inner>>;

/// A running receiver on 127.0.0.1; dropping it stops the server.
pub struct Receiver {
    pub addr: SocketAddr,
    shared: Shared,
    server: tokio::task::JoinHandle<()>,
    /// Stops the server gracefully (closing its idle keep-alive connections too).
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Receiver {
    /// A receiver that answers 200 to everything.
    pub async fn start() -> Receiver {
        Receiver::start_with(Behaviour::Ok).await
    }

    pub async fn start_with(behaviour: Behaviour) -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind receiver");
        let addr = listener.local_addr().expect("receiver addr");
        let shared = Arc::new(Mutex::new(Inner {
            behaviour,
            received: Vec::new(),
            attempts_per_id: HashMap::new(),
            in_flight: 0,
            max_in_flight: 0,
        }));
        let (server, shutdown) = serve(listener, shared.clone());
        Receiver {
            addr,
            shared,
            server,
            shutdown: Some(shutdown),
        }
    }

    /// Takes the receiver off the network: from now on a connection to its address is
    /// refused, as when a receiver's host is down. What it recorded is kept.
    pub async fn go_down(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        // A request still being answered holds the graceful shutdown; do not wait for it.
        if tokio::time::timeout(Duration::from_secs(5), &mut self.server)
            .await
            .is_err()
        {
            self.server.abort();
        }
    }

    /// Serves again on the same address after [`Receiver::go_down`].
    pub async fn come_back(&mut self) {
        let listener = tokio::net::TcpListener::bind(self.addr)
            .await
            .expect("bind the receiver's address again");
        let (server, shutdown) = serve(listener, self.shared.clone());
        self.server = server;
        self.shutdown = Some(shutdown);
    }

    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    /// Applies to requests that arrive from now on.
    pub fn set_behaviour(&self, behaviour: Behaviour) {
        self.lock().behaviour = behaviour;
    }

    pub fn received(&self) -> Vec<Received> {
        self.with_received(<[Received]>::to_vec)
    }

    /// Runs `inspect` over what arrived so far without copying it (a benchmark's ten
    /// thousand deliveries weigh hundreds of megabytes).
    pub fn with_received<T>(&self, inspect: impl FnOnce(&[Received]) -> T) -> T {
        inspect(&self.lock().received)
    }

    /// The requests answered with a 2xx, in arrival order.
    pub fn accepted(&self) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(Received::accepted)
            .collect()
    }

    /// Waits until `done` holds for what arrived so far, or panics after `timeout`.
    pub async fn wait_until(
        &self,
        timeout: Duration,
        what: &str,
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
                "timed out after {timeout:?} waiting for {what}; received {} requests: {:?}",
                received.len(),
                received
                    .iter()
                    .map(|r| (r.status, r.header("webhook-id").unwrap_or("")))
                    .collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until `n` requests were accepted and returns the accepted ones.
    pub async fn wait_accepted(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let what = format!("{n} accepted webhooks");
        self.wait_until(timeout, &what, |r| {
            r.iter().filter(|r| r.accepted()).count() >= n
        })
        .await;
        self.accepted()
    }

    /// The most requests it was handling at one time.
    pub fn max_in_flight(&self) -> usize {
        self.lock().max_in_flight
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.shared.lock().expect("receiver state")
    }
}

fn serve(
    listener: tokio::net::TcpListener,
    shared: Shared,
) -> (
    tokio::task::JoinHandle<()>,
    tokio::sync::oneshot::Sender<()>,
) {
    let app = axum::Router::new().fallback(receive).with_state(shared);
    let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await;
    });
    (server, shutdown)
}

/// FNV-1a: a hash that is the same in every run, so a test's choice of ids is repeatable.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Counts a request in flight until it is dropped (also when a hanging answer is cut off).
struct InFlight(Shared);

impl InFlight {
    fn enter(shared: &Shared) -> Self {
        let mut inner = shared.lock().expect("receiver state");
        inner.in_flight += 1;
        inner.max_in_flight = inner.max_in_flight.max(inner.in_flight);
        InFlight(shared.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut inner = self.0.lock().unwrap_or_else(|e| e.into_inner());
        inner.in_flight -= 1;
    }
}

async fn receive(
    State(shared): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    let _in_flight = InFlight::enter(&shared);
    let (status, answer, pause) = {
        let mut inner = shared.lock().expect("receiver state");
        let id = headers
            .get("webhook-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let attempts = inner.attempts_per_id.entry(id.clone()).or_default();
        *attempts += 1;
        let attempt = *attempts;
        let event = || {
            serde_json::from_slice::<serde_json::Value>(&body)
                .map(|v| v["event"].as_str().unwrap_or("").to_string())
                .unwrap_or_default()
        };
        let (status, pause) = match inner.behaviour {
            Behaviour::Ok => (200, None),
            Behaviour::FailFirst(n) if attempt <= n => (500, None),
            Behaviour::FailFirst(_) => (200, None),
            Behaviour::Always(status) => (status, None),
            Behaviour::Hang => (0, None),
            Behaviour::Slow(pause) => (200, Some(pause)),
            Behaviour::FailEvent(kind) if event() == kind => (500, None),
            Behaviour::FailEvent(_) => (200, None),
            Behaviour::FailFirstOfHalf if attempt == 1 && fnv1a(&id).is_multiple_of(2) => {
                (500, None)
            }
            Behaviour::FailFirstOfHalf => (200, None),
        };
        inner.received.push(Received {
            headers,
            body,
            at: Instant::now(),
            status,
        });
        (status, format!("answer {attempt} to {id}"), pause)
    };
    if let Some(pause) = pause {
        tokio::time::sleep(pause).await;
    }
    match StatusCode::from_u16(status) {
        Ok(status) => (status, answer),
        Err(_) => std::future::pending().await,
    }
}

impl Drop for Receiver {
    /// Dropping a task's handle does not stop the task: abort it, so a dropped server stops
    /// answering, and free what it recorded now rather than when its last connection closes.
    fn drop(&mut self) {
        self.server.abort();
        let mut inner = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        inner.received = Vec::new();
    }
}

/// Verifies a request the way the Standard Webhooks specification tells receivers to:
/// HMAC-SHA256 over `id.timestamp.body` with the base64-decoded secret, compared with
/// every `v1,` entry of the signature header.
pub fn signature_is_valid(secret: &str, request: &Received) -> bool {
    let key = STANDARD
        .decode(secret.trim_start_matches("whsec_"))
        .expect("test secret is base64");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes any key length");
    let signed = format!(
        "{}.{}.",
        request.header("webhook-id").unwrap_or(""),
        request.header("webhook-timestamp").unwrap_or("")
    );
    mac.update(signed.as_bytes());
    mac.update(&request.body);
    let expected = STANDARD.encode(mac.finalize().into_bytes());
    request
        .header("webhook-signature")
        .unwrap_or("")
        .split(' ')
        .filter_map(|entry| entry.strip_prefix("v1,"))
        .any(|sig| sig == expected)
}
