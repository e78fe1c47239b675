//! `country_code`: a job asking for a country is fetched through the outbound proxy
//! configured for it (`CRAWLER_PROXIES`). The proxy here is a small HTTP forward proxy on
//! loopback that records what it forwards and marks each request with a `Via` header,
//! so the site can tell proxied requests from direct ones.

use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use crawler_testkit::site::{PageKind, SiteGraph, TestSite};
use serde_json::json;

use crate::citizen::Deployed;

const VIA: &str = "1.1 test-proxy";

/// A forward proxy for plain HTTP: clients send it absolute-form requests
/// (`GET http://host/path`), and it repeats them to the origin.
struct ForwardProxy {
    addr: std::net::SocketAddr,
    forwarded: Arc<Mutex<Vec<String>>>,
    _server: tokio::task::JoinHandle<()>,
}

#[derive(Clone)]
struct ProxyState {
    client: reqwest::Client,
    forwarded: Arc<Mutex<Vec<String>>>,
}

impl ForwardProxy {
    async fn start() -> ForwardProxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind proxy");
        let addr = listener.local_addr().expect("proxy addr");
        let forwarded = Arc::new(Mutex::new(Vec::new()));
        let state = ProxyState {
            client: reqwest::Client::builder()
                .no_proxy()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("proxy client"),
            forwarded: forwarded.clone(),
        };
        let app = axum::Router::new().fallback(forward).with_state(state);
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        ForwardProxy {
            addr,
            forwarded,
            _server: server,
        }
    }

    /// The absolute URLs forwarded so far.
    fn forwarded(&self) -> Vec<String> {
        self.forwarded.lock().expect("forwarded").clone()
    }
}

async fn forward(State(state): State<ProxyState>, request: Request) -> Response {
    let target = request.uri().to_string();
    if request.uri().scheme().is_none() {
        return (StatusCode::BAD_REQUEST, "not a proxy request").into_response();
    }
    state
        .forwarded
        .lock()
        .expect("forwarded")
        .push(target.clone());
    let hop_by_hop = ["host", "connection", "proxy-connection", "keep-alive"];
    let mut outgoing = state.client.get(&target).header("via", VIA);
    for (name, value) in request.headers() {
        if !hop_by_hop.contains(&name.as_str()) {
            outgoing = outgoing.header(name, value);
        }
    }
    let answer = match outgoing.send().await {
        Ok(answer) => answer,
        Err(e) => return (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    };
    let status = answer.status();
    let headers = answer.headers().clone();
    let body: Bytes = answer.bytes().await.unwrap_or_default();
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    // The body is sent whole, so the origin's framing headers do not apply.
    let framing: [HeaderName; 2] = [
        axum::http::header::TRANSFER_ENCODING,
        axum::http::header::CONNECTION,
    ];
    for (name, value) in &headers {
        if !framing.contains(name) {
            response.headers_mut().append(name, value.clone());
        }
    }
    response
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn country_code_fetches_through_the_countrys_proxy() {
    let _machine = crate::beside_others().await;
    let proxied_site = TestSite::serve(site()).await;
    let direct_site = TestSite::serve(site()).await;
    let proxy = ForwardProxy::start().await;
    let proxies = format!("xx=http://{}", proxy.addr);
    let deployed = Deployed::start(&[("CRAWLER_PROXIES", proxies.as_str())]).await;
    let proxied = deployed
        .crawl(json!({
            "start_url": proxied_site.url("/"),
            "max_depth": 1,
            "api_params": {"country_code": "xx"},
        }))
        .await;
    let direct = deployed
        .crawl(json!({"start_url": direct_site.url("/"), "max_depth": 1}))
        .await;

    assert_eq!(proxied.finished().len(), 3);
    assert_eq!(direct.finished().len(), 3);
    // Everything the site saw of the proxied job came through the proxy, robots.txt
    // included, and everything the proxy forwarded reached the site.
    let hits = proxied_site.hits();
    assert_eq!(hits.len(), 4, "robots.txt and three pages: {hits:?}");
    for hit in &hits {
        assert_eq!(
            hit.headers.get("via").map(String::as_str),
            Some(VIA),
            "{} did not come through the proxy",
            hit.path
        );
    }
    let mut forwarded = proxy.forwarded();
    forwarded.sort();
    let mut expected: Vec<String> = ["/", "/robots.txt", "/a", "/b"]
        .iter()
        .map(|p| proxied_site.url(p))
        .collect();
    expected.sort();
    assert_eq!(forwarded, expected, "what the proxy forwarded");
    // A job without a country goes direct.
    assert!(direct_site
        .hits()
        .iter()
        .all(|hit| !hit.headers.contains_key("via")));
}

fn site() -> SiteGraph {
    SiteGraph::default()
        .page("/", PageKind::Html(vec!["/a".into(), "/b".into()]))
        .page("/a", PageKind::Html(vec![]))
        .page("/b", PageKind::Html(vec![]))
}
