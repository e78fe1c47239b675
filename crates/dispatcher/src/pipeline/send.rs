//! Step 5: the HTTP POST, through the [`WebhookClient`] that guards private networks and
//! follows redirects, within `timeout` when one is given (the endpoint's, else the
//! profile's as the caller scales it), else the client's.

use std::time::Duration;

use reqwest::header::HeaderMap;

use crate::client::{AttemptOutcome, WebhookClient};
use crate::target::Target;

/// A request ready to send: the encoded body and every header.
#[derive(Debug, Clone)]
pub struct Request {
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

pub async fn send(
    client: &WebhookClient,
    target: &Target,
    request: Request,
    timeout: Option<Duration>,
) -> AttemptOutcome {
    client
        .post_within(&target.url, request.headers, request.body, timeout)
        .await
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;

    /// Accepts one HTTP/1.1 request, answers `200`, and hands back the request's bytes.
    async fn receive_one(listener: TcpListener) -> Vec<u8> {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let n = stream.read(&mut buf).await.unwrap();
            seen.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&seen).to_string();
            if let Some(end) = text.find("\r\n\r\n") {
                let length = text[..end]
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length: ")
                            .map(String::from)
                    })
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .unwrap_or(0);
                if seen.len() >= end + 4 + length || n == 0 {
                    break;
                }
            }
        }
        stream
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
            .await
            .unwrap();
        seen
    }

    #[tokio::test]
    async fn posts_the_body_and_headers_to_the_target() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let server = tokio::spawn(receive_one(listener));
        let mut target = crate::pipeline::tests::target();
        target.url = format!("http://{address}/hook");
        let mut headers = HeaderMap::new();
        headers.insert("x-probe", HeaderValue::from_static("yes"));
        let request = Request {
            headers,
            body: br#"{"a":1}"#.to_vec(),
        };
        let client = WebhookClient::new(Duration::from_secs(5), true).unwrap();
        let outcome = send(&client, &target, request, None).await;
        assert!(outcome.succeeded(), "{outcome:?}");
        assert_eq!(outcome.status, Some(200));
        let seen = String::from_utf8(server.await.unwrap()).unwrap();
        assert!(seen.starts_with("POST /hook HTTP/1.1\r\n"), "{seen}");
        assert!(seen.contains("\r\nx-probe: yes\r\n"), "{seen}");
        assert!(seen.ends_with("\r\n\r\n{\"a\":1}"), "{seen}");
    }
}
