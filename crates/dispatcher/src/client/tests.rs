use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::*;

/// Serves one connection with `answer`: reads the request, then writes `answer` (or
/// closes at once when it is empty) and closes.
async fn serve_once(answer: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 4096];
        let _ = stream.read(&mut buf).await;
        if !answer.is_empty() {
            let _ = stream.write_all(&answer).await;
        }
    });
    url
}

fn client() -> WebhookClient {
    WebhookClient::new(Duration::from_secs(5), true).unwrap()
}

#[tokio::test]
async fn keeps_the_first_kilobyte_of_the_answer() {
    let body = "e".repeat(5_000);
    let answer = format!(
        "HTTP/1.1 500 Internal Server Error\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let url = serve_once(answer.into_bytes()).await;
    let outcome = client().post(&url, HeaderMap::new(), b"{}".to_vec()).await;
    assert_eq!(outcome.status, Some(500));
    assert_eq!(outcome.error.as_deref(), Some("http_500"));
    assert!(!outcome.connection_failed);
    assert_eq!(
        outcome.answer_excerpt,
        Some("e".repeat(ANSWER_EXCERPT_BYTES))
    );
}

#[tokio::test]
async fn a_connection_closed_without_an_answer_or_refused_is_a_connection_failure() {
    let url = serve_once(Vec::new()).await;
    let closed = client().post(&url, HeaderMap::new(), b"{}".to_vec()).await;
    assert!(closed.connection_failed, "{closed:?}");
    assert_eq!(closed.status, None);

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    drop(listener);
    let refused = client().post(&url, HeaderMap::new(), b"{}".to_vec()).await;
    assert!(refused.connection_failed, "{refused:?}");
    assert!(refused.error.unwrap().starts_with("connection_error"));
}

/// Serves `answers.len()` connections in turn, one request each, and hands back the
/// head (request line and headers) of every request, lower-cased.
fn record(listener: TcpListener, answers: Vec<String>) -> tokio::task::JoinHandle<Vec<String>> {
    tokio::spawn(async move {
        let mut heads = Vec::new();
        for answer in answers {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut seen = Vec::new();
            let mut buf = [0u8; 4096];
            while !String::from_utf8_lossy(&seen).contains("\r\n\r\n") {
                let n = stream.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                seen.extend_from_slice(&buf[..n]);
            }
            let text = String::from_utf8_lossy(&seen).to_ascii_lowercase();
            heads.push(text.split("\r\n\r\n").next().unwrap_or("").to_string());
            let _ = stream.write_all(answer.as_bytes()).await;
        }
        heads
    })
}

fn redirect_to(location: &str) -> String {
    format!(
        "HTTP/1.1 307 Temporary Redirect\r\nlocation: {location}\r\n\
         content-length: 0\r\nconnection: close\r\n\r\n"
    )
}

const OK: &str = "HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";

fn configured_headers() -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in [
        ("authorization", "Bearer endpoint-only"),
        ("x-custom", "endpoint-only"),
        ("x-scrapfly-webhook-secret", "whsec_endpoint-only"),
        ("webhook-signature", "v1,mac"),
        ("content-type", "application/json"),
    ] {
        headers.insert(name, name_value(value));
    }
    headers
}

fn name_value(value: &'static str) -> reqwest::header::HeaderValue {
    reqwest::header::HeaderValue::from_static(value)
}

#[tokio::test]
async fn a_redirect_to_another_origin_gets_none_of_the_endpoints_headers() {
    let elsewhere = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let elsewhere_url = format!("http://{}/moved", elsewhere.local_addr().unwrap());
    let second = record(elsewhere, vec![OK.to_string()]);
    let endpoint = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint_url = format!("http://{}/hook", endpoint.local_addr().unwrap());
    let first = record(endpoint, vec![redirect_to(&elsewhere_url)]);

    let outcome = client()
        .post(&endpoint_url, configured_headers(), b"{}".to_vec())
        .await;
    assert!(outcome.succeeded(), "{outcome:?}");
    let at_endpoint = &first.await.unwrap()[0];
    assert!(
        at_endpoint.contains("\r\nx-custom: endpoint-only"),
        "{at_endpoint}"
    );
    let moved = &second.await.unwrap()[0];
    assert!(moved.starts_with("post /moved "), "{moved}");
    for kept_away in ["authorization", "x-custom", "x-scrapfly-webhook-secret"] {
        assert!(!moved.contains(&format!("\r\n{kept_away}:")), "{moved}");
    }
    assert!(!moved.contains("endpoint-only"), "{moved}");
    assert!(moved.contains("\r\nwebhook-signature: v1,mac"), "{moved}");
    assert!(
        moved.contains("\r\ncontent-type: application/json"),
        "{moved}"
    );
}

#[tokio::test]
async fn a_redirect_within_the_endpoints_origin_keeps_its_headers() {
    let endpoint = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", endpoint.local_addr().unwrap());
    let seen = record(
        endpoint,
        vec![redirect_to(&format!("{base}/moved")), OK.to_string()],
    );
    let outcome = client()
        .post(
            &format!("{base}/hook"),
            configured_headers(),
            b"{}".to_vec(),
        )
        .await;
    assert!(outcome.succeeded(), "{outcome:?}");
    let heads = seen.await.unwrap();
    assert!(heads[1].starts_with("post /moved "), "{heads:?}");
    assert!(
        heads[1].contains("\r\nx-custom: endpoint-only"),
        "{heads:?}"
    );
    assert!(
        heads[1].contains("\r\nauthorization: bearer endpoint-only"),
        "{heads:?}"
    );
}
