//! The sink served on loopback, receiving deliveries signed here with hmac and sha2
//! directly, so a mistake shared with the dispatcher's signing code cannot hide.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::*;

const KEY_BYTES: &[u8] = b"a test key of thirty-two bytes!!";

fn secret() -> String {
    format!("whsec_{}", STANDARD.encode(KEY_BYTES))
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn sign(id: &str, timestamp: u64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(KEY_BYTES).unwrap();
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

fn page_body() -> Vec<u8> {
    json!({
        "event": "crawl.page", "jobId": "0190f0e0-0000-7000-8000-000000000001",
        "url": "http://site.test/a", "status": "finished", "credits": 1, "attempts": 1,
        "startUrl": "http://site.test/", "currentDepth": 1, "currentCost": 2,
        "response": {"statusCode": 200, "headers": {}, "body": "<html></html>"},
    })
    .to_string()
    .into_bytes()
}

struct RunningSink {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<anyhow::Result<()>>,
}

impl RunningSink {
    async fn start(secret: Option<String>, output: Option<PathBuf>) -> RunningSink {
        let args = SinkArgs {
            addr: "127.0.0.1:0".parse().unwrap(),
            secret,
            output,
            quiet: false,
        };
        let (ready_tx, ready_rx) = oneshot::channel();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(run(args, Some(ready_tx), async move {
            let _ = stopped.await;
        }));
        let addr = ready_rx.await.expect("the sink did not start");
        RunningSink { addr, stop, task }
    }

    async fn deliver(&self, headers: &[(&str, String)], body: Vec<u8>) -> u16 {
        let mut request = reqwest::Client::new()
            .post(format!("http://{}/hooks/crawl", self.addr))
            .header("content-type", "application/json")
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        request.send().await.unwrap().status().as_u16()
    }

    async fn stop(self) {
        self.stop.send(()).unwrap();
        self.task.await.unwrap().unwrap();
    }
}

fn signed_headers(id: &str, timestamp: u64, signature: String) -> Vec<(&'static str, String)> {
    vec![
        ("webhook-id", id.to_string()),
        ("webhook-timestamp", timestamp.to_string()),
        ("webhook-signature", signature),
    ]
}

fn stored(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[tokio::test]
async fn a_valid_delivery_is_accepted_and_stored() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("deliveries.jsonl");
    let sink = RunningSink::start(Some(secret()), Some(output.clone())).await;
    let (body, at) = (page_body(), now_secs());
    let headers = signed_headers("msg_1", at, sign("msg_1", at, &body));
    assert_eq!(sink.deliver(&headers, body).await, 200);
    sink.stop().await;

    let records = stored(&output);
    assert_eq!(records.len(), 1);
    let record = &records[0];
    assert_eq!(record["signatureOk"], true);
    assert_eq!(record["webhookId"], "msg_1");
    assert_eq!(record["headers"]["webhook-timestamp"], at.to_string());
    assert_eq!(record["body"]["url"], "http://site.test/a");
    assert!(
        record["receivedAt"].as_str().unwrap().ends_with('Z'),
        "{record}"
    );
}

#[tokio::test]
async fn a_tampered_body_is_refused_and_stored_as_bad() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("deliveries.jsonl");
    let sink = RunningSink::start(Some(secret()), Some(output.clone())).await;
    let at = now_secs();
    let headers = signed_headers("msg_2", at, sign("msg_2", at, &page_body()));
    let tampered = String::from_utf8(page_body())
        .unwrap()
        .replace("/a", "/evil");
    assert_eq!(sink.deliver(&headers, tampered.into_bytes()).await, 401);
    sink.stop().await;
    assert_eq!(stored(&output)[0]["signatureOk"], false);
}

#[tokio::test]
async fn an_old_timestamp_is_refused_even_when_signed() {
    let sink = RunningSink::start(Some(secret()), None).await;
    let (body, at) = (page_body(), now_secs() - 6 * 60);
    let headers = signed_headers("msg_3", at, sign("msg_3", at, &body));
    assert_eq!(sink.deliver(&headers, body).await, 401);
    sink.stop().await;
}

#[tokio::test]
async fn without_a_secret_deliveries_are_unchecked_and_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("deliveries.jsonl");
    let sink = RunningSink::start(None, Some(output.clone())).await;
    let headers = signed_headers("msg_4", now_secs(), "v1,bm90IGEgc2lnbmF0dXJl".into());
    assert_eq!(sink.deliver(&headers, page_body()).await, 200);
    sink.stop().await;
    let record = &stored(&output)[0];
    assert!(record["signatureOk"].is_null(), "{record}");
    assert_eq!(record["webhookId"], "msg_4");
}

#[tokio::test]
async fn a_bad_secret_stops_the_sink_before_it_listens() {
    let args = SinkArgs {
        addr: "127.0.0.1:0".parse().unwrap(),
        secret: Some("whsec_not base64!".into()),
        output: None,
        quiet: true,
    };
    let error = run(args, None, async {}).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "--secret is not a webhook secret: expected whsec_ followed by base64"
    );
}
