//! A proxy from the environment is not ours: a worker or a dispatcher started with
//! `HTTP_PROXY`, `HTTPS_PROXY` and `ALL_PROXY` pointing at a proxy still fetches pages and
//! delivers webhooks directly, and the proxy sees no request at all.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crawler_testkit::cluster::{Cluster, Deployment};
use crawler_testkit::receiver::Receiver;
use crawler_testkit::site::{PageKind, SiteGraph, TestSite};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::support::{pages_by_url, wait_summary};

/// A loopback "proxy" that counts the connections made to it and answers each with a 502,
/// so that a request sent through it would fail visibly as well as be counted.
struct RecordingProxy {
    url: String,
    connections: Arc<AtomicUsize>,
}

impl RecordingProxy {
    async fn start() -> RecordingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let connections = Arc::new(AtomicUsize::new(0));
        let counted = connections.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                counted.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    let _ = stream.read(&mut buf).await;
                    let _ = stream
                        .write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n")
                        .await;
                });
            }
        });
        RecordingProxy { url, connections }
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

fn proxy_environment(proxy: &RecordingProxy) -> Vec<(&'static str, String)> {
    [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ]
    .into_iter()
    .map(|name| (name, proxy.url.clone()))
    .collect()
}

async fn pages_and_webhooks_go_direct_despite_proxy_variables(deployment: Deployment) {
    let _machine = crate::beside_others().await;
    let proxy = RecordingProxy::start().await;
    let site = TestSite::serve(
        SiteGraph::default()
            .page("/", PageKind::Html(vec!["/a".into()]))
            .page("/a", PageKind::Html(vec![])),
    )
    .await;
    let receiver = Receiver::start().await;
    let cluster = Cluster::start(
        crawler_testkit::binaries!(),
        deployment,
        &proxy_environment(&proxy),
    )
    .await;
    let answer = cluster
        .submit(json!({
            "start_url": site.url("/"),
            "max_depth": 1,
            "callback": {"type": "webhook", "url": receiver.url(),
                         "events": ["crawl.page", "crawl.finished"]},
        }))
        .await;
    let job = answer["jobId"].as_str().expect("jobId").to_string();

    let received = wait_summary(&receiver, &job, Duration::from_secs(60)).await;
    let pages = pages_by_url(&received, &job);
    for path in ["/", "/a"] {
        let page = &pages[&site.url(path)];
        assert_eq!(page["status"], "finished", "{path}: {page}");
        assert_eq!(page["response"]["statusCode"], 200, "{path}: {page}");
    }
    assert_eq!(
        proxy.connections(),
        0,
        "the proxy from the environment was used"
    );
}

on_both_deployments!(pages_and_webhooks_go_direct_despite_proxy_variables);
