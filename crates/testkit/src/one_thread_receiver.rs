//! The plainest webhook receiver there is, as people write one in an afternoon: one
//! thread, a listen backlog of 5, one connection at a time, HTTP/1.0, the connection
//! closed after each answer. It behaves like Python's `http.server.HTTPServer` (whose
//! `request_queue_size` is 5 and whose handler speaks HTTP/1.0 by default), without
//! needing Python: when more connections arrive at once than the backlog holds, the
//! kernel drops or refuses them, and a sender that opens many at once sees failed
//! connections. What it got is kept as [`Received`] records, like [`crate::receiver`]'s.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderName, HeaderValue};

use crate::receiver::Received;

/// A running one-thread receiver on 127.0.0.1; dropping it stops the thread.
pub struct OneThreadReceiver {
    pub addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    stop: Arc<AtomicBool>,
}

impl OneThreadReceiver {
    /// Listens with this accept backlog and spends `handling` on each request (what a
    /// receiver's own work, a database write say, takes). Call it from a Tokio runtime (the
    /// socket is made with Tokio's `TcpSocket`, the one portable way here to choose the
    /// backlog).
    pub fn start(backlog: u32, handling: Duration) -> OneThreadReceiver {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket
            .bind("127.0.0.1:0".parse().expect("loopback address"))
            .expect("bind");
        let listener = socket
            .listen(backlog)
            .expect("listen")
            .into_std()
            .expect("std listener");
        listener.set_nonblocking(false).expect("blocking listener");
        let addr = listener.local_addr().expect("receiver addr");
        let received = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (got, stopping) = (received.clone(), stop.clone());
        std::thread::spawn(move || serve(listener, handling, got, stopping));
        OneThreadReceiver {
            addr,
            received,
            stop,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().expect("receiver state").clone()
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
                "timed out after {timeout:?} waiting for {what}; received {} requests",
                received.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for OneThreadReceiver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the thread blocked in accept, so it sees the flag and ends.
        let _ = TcpStream::connect(self.addr);
    }
}

fn serve(
    listener: TcpListener,
    handling: Duration,
    received: Arc<Mutex<Vec<Received>>>,
    stop: Arc<AtomicBool>,
) {
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else { continue };
        if let Some(request) = answer_one(stream, handling) {
            received.lock().expect("receiver state").push(request);
        }
    }
}

/// Reads one request, answers `200` and closes the connection.
fn answer_one(mut stream: TcpStream, handling: Duration) -> Option<Received> {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut headers = HeaderMap::new();
    let mut length = 0usize;
    loop {
        line.clear();
        reader.read_line(&mut line).ok()?;
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = value.parse().ok()?;
        }
        headers.append(
            HeaderName::from_bytes(name.trim().as_bytes()).ok()?,
            HeaderValue::from_str(value).ok()?,
        );
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).ok()?;
    std::thread::sleep(handling);
    stream
        .write_all(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok")
        .ok()?;
    Some(Received {
        headers,
        body: Bytes::from(body),
        at: Instant::now(),
        status: 200,
    })
}
