//! Sites for the crawler to crawl, served on loopback by the test itself, with a known link
//! graph, request counting, and a plain breadth-first search of the same graph as the
//! oracle of what a crawl must find.
//!
//! A path is served by its exact entry in the graph, else by the longest entry ending in
//! `*` whose prefix it starts with (`/cal/*` serves `/cal/2024-01`), which is how the
//! endless link traps are written.

mod extra;

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use regex::Regex;
use url::Url;

/// What one path of the site serves.
#[derive(Debug, Clone)]
pub enum PageKind {
    /// An HTML page with these hrefs (relative or absolute, as written in the page).
    Html(Vec<String>),
    /// 404 Not Found.
    NotFound,
    /// 500 for the first `failures` requests, then an HTML page with these hrefs.
    Flaky { failures: u32, links: Vec<String> },
    /// 302 to another path of the site.
    Redirect(String),
    /// A small PNG-like binary file.
    Binary,
    /// An HTML page of `bytes` bytes (to exceed a size cap).
    Huge(usize),
    /// Exactly this status, these headers and these body bytes (robots.txt files, pages
    /// in other charsets, invalid UTF-8, hand-written HTML).
    Custom {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// `status` (429 or 503) with `Retry-After: retry_after` for the first `times`
    /// requests, then an HTML page with these hrefs.
    Throttled {
        times: u32,
        status: u16,
        retry_after: Option<String>,
        links: Vec<String>,
    },
    /// An HTML page of `bytes` bytes streamed in chunks without a Content-Length; the bytes
    /// the server got to write are counted ([`TestSite::streamed_bytes`]).
    Streamed(usize),
    /// 200 at once, then one byte of body every `interval`, `bytes` in all.
    Trickle { interval: Duration, bytes: usize },
    /// An endless calendar under a `*` entry: page `<prefix>YYYY-MM` links to the next
    /// month, for ever.
    Calendar,
    /// An endless trap whose URLs grow: every page links to its own path plus `/more`.
    Growing,
}

impl PageKind {
    /// A 200 answer with this Content-Type and body.
    pub fn text(content_type: &str, body: impl Into<Vec<u8>>) -> PageKind {
        PageKind::Custom {
            status: 200,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.into(),
        }
    }

    /// A robots.txt file (RFC 9309) with this content.
    pub fn robots(content: &str) -> PageKind {
        PageKind::text("text/plain", content)
    }

    /// A UTF-8 HTML page with exactly this markup.
    pub fn raw_html(markup: &str) -> PageKind {
        PageKind::text("text/html; charset=utf-8", markup)
    }
}

/// A site's pages by path (`/`, `/a`, ...).
#[derive(Debug, Clone, Default)]
pub struct SiteGraph {
    pub pages: BTreeMap<String, PageKind>,
    /// Bytes of paragraph text added to every HTML page (0 = links only). Benchmarks set it
    /// so fetching, parsing and webhook bodies cost what they cost on a real site.
    pub text_bytes: usize,
}

/// What a correct crawl of the graph must report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expected {
    /// URLs crawled successfully, with their depth.
    pub completed: BTreeMap<String, u32>,
    /// URLs that fail, with their failReason.
    pub failed: BTreeMap<String, String>,
}

impl SiteGraph {
    pub fn page(mut self, path: &str, kind: PageKind) -> Self {
        self.pages.insert(path.to_string(), kind);
        self
    }

    /// What serves `path`, with the entry's key: the exact entry, else the longest `*`
    /// entry whose prefix `path` starts with.
    pub fn lookup(&self, path: &str) -> Option<(&str, &PageKind)> {
        if let Some((key, kind)) = self.pages.get_key_value(path) {
            return Some((key.as_str(), kind));
        }
        self.pages
            .iter()
            .filter(|(key, _)| {
                key.strip_suffix('*')
                    .is_some_and(|prefix| path.starts_with(prefix))
            })
            .max_by_key(|(key, _)| key.len())
            .map(|(key, kind)| (key.as_str(), kind))
    }

    /// The plain breadth-first search a crawl of `base` with these rules must match.
    /// Fetch failures are terminal (`too_large_limit` says which Huge pages fail).
    pub fn expected(
        &self,
        base: &Url,
        max_depth: u32,
        include: &str,
        exclude: Option<&str>,
        too_large_limit: usize,
    ) -> Expected {
        let include = Regex::new(include).expect("include regex");
        let exclude = exclude.map(|e| Regex::new(e).expect("exclude regex"));
        let mut expected = Expected::default();
        let mut seen = BTreeSet::new();
        let mut queue = VecDeque::new();
        let start = base.join("/").expect("start url");
        seen.insert(start.to_string());
        queue.push_back((start, 0u32));
        while let Some((url, depth)) = queue.pop_front() {
            let found = self.lookup(url.path());
            let (links, page_url) = match found.map(|(_, kind)| kind) {
                None | Some(PageKind::NotFound) => {
                    expected.failed.insert(url.to_string(), "http_404".into());
                    continue;
                }
                Some(PageKind::Huge(bytes)) if *bytes > too_large_limit => {
                    expected.failed.insert(url.to_string(), "too_large".into());
                    continue;
                }
                Some(PageKind::Html(links))
                | Some(PageKind::Flaky { links, .. })
                | Some(PageKind::Throttled { links, .. }) => (links.clone(), url.clone()),
                Some(PageKind::Streamed(bytes)) if *bytes > too_large_limit => {
                    expected.failed.insert(url.to_string(), "too_large".into());
                    continue;
                }
                Some(PageKind::Custom { status, .. }) if !(200..300).contains(status) => {
                    let reason = format!("http_{status}");
                    expected.failed.insert(url.to_string(), reason);
                    continue;
                }
                Some(PageKind::Trickle { .. }) => {
                    expected.failed.insert(url.to_string(), "timeout".into());
                    continue;
                }
                Some(PageKind::Calendar) => {
                    let prefix = found.map_or("", |(key, _)| key.trim_end_matches('*'));
                    (vec![extra::next_month(prefix, url.path())], url.clone())
                }
                Some(PageKind::Growing) => (vec![extra::grown(url.path())], url.clone()),
                Some(PageKind::Redirect(to)) => {
                    let target = url.join(to).expect("redirect target");
                    seen.insert(target.to_string());
                    match self.pages.get(target.path()) {
                        Some(PageKind::Html(links)) => (links.clone(), target),
                        _ => (Vec::new(), target),
                    }
                }
                // The links of hand-written pages are not read here.
                Some(PageKind::Binary)
                | Some(PageKind::Huge(_))
                | Some(PageKind::Streamed(_))
                | Some(PageKind::Custom { .. }) => (Vec::new(), url.clone()),
            };
            expected.completed.insert(url.to_string(), depth);
            if depth >= max_depth {
                continue;
            }
            for href in links {
                let Ok(mut link) = page_url.join(&href) else {
                    continue;
                };
                link.set_fragment(None);
                if link.host_str() != base.host_str() || link.port() != base.port() {
                    continue;
                }
                let text = link.to_string();
                if !include.is_match(&text) || exclude.as_ref().is_some_and(|e| e.is_match(&text)) {
                    continue;
                }
                if seen.insert(text) {
                    queue.push_back((link, depth + 1));
                }
            }
        }
        expected
    }

    /// A generated site of `n` HTML pages `/p/0` .. `/p/{n-1}` where page i links to
    /// 2i+1 and 2i+2 (a tree, so depth is known), back to the root and to page i/3 (cycles),
    /// and twice to the same child (duplicates, one with a fragment).
    pub fn generated(n: usize) -> Self {
        let mut graph = SiteGraph::default();
        graph
            .pages
            .insert("/".into(), PageKind::Html(vec!["/p/0".into()]));
        for i in 0..n {
            let mut links = vec!["/".to_string(), format!("/p/{}", i / 3)];
            for child in [2 * i + 1, 2 * i + 2] {
                if child < n {
                    links.push(format!("/p/{child}"));
                    links.push(format!("/p/{child}#again"));
                }
            }
            graph.pages.insert(format!("/p/{i}"), PageKind::Html(links));
        }
        graph
    }

    /// Like [`SiteGraph::generated`], with about `text_bytes` of text on every page.
    pub fn generated_with_text(n: usize, text_bytes: usize) -> Self {
        SiteGraph {
            text_bytes,
            ..Self::generated(n)
        }
    }
}

/// One request the site saw.
#[derive(Debug, Clone)]
pub struct Hit {
    /// The path as requested, percent-encoding included.
    pub path: String,
    /// The request's method (`GET`, `POST`, ...).
    pub method: String,
    /// The request's body (up to 1 MiB).
    pub body: Vec<u8>,
    pub at: Instant,
    pub user_agent: Option<String>,
    /// Every request header, names in lower case, repeated values joined with ", ".
    pub headers: BTreeMap<String, String>,
    /// The client's end of the connection (tells which process sent the request).
    pub peer: Option<SocketAddr>,
    /// When the site finished answering: after the handler's delay, once the response
    /// head and any body it had at hand were handed to the server. A streamed body may
    /// still be flowing. `None` while the request is being answered.
    pub finished_at: Option<Instant>,
}

#[derive(Default)]
struct Shared {
    hits: Mutex<Vec<Hit>>,
    served: Mutex<HashMap<String, u32>>,
    /// Bytes of [`PageKind::Streamed`] bodies handed to the server to write.
    streamed: Arc<AtomicUsize>,
    delay: std::time::Duration,
    /// The paragraphs every HTML page carries, built once so serving stays cheap.
    text: String,
    /// Paths taken down ([`TestSite::take_down`]): they answer 404 from then on.
    gone: Mutex<BTreeSet<String>>,
}

/// A running site. Dropping it stops the server.
pub struct TestSite {
    pub addr: SocketAddr,
    pub base: Url,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

impl TestSite {
    /// Serves `graph` on 127.0.0.1 on a free port.
    pub async fn serve(graph: SiteGraph) -> TestSite {
        Self::serve_slowly(graph, std::time::Duration::ZERO).await
    }

    /// Like [`TestSite::serve`], answering each request after `delay`.
    pub async fn serve_slowly(graph: SiteGraph, delay: std::time::Duration) -> TestSite {
        Self::serve_built_slowly(|_| graph, delay).await
    }

    /// Serves the graph `build` makes from the site's base URL (`http://127.0.0.1:PORT/`),
    /// for pages whose links must name the site's own address.
    pub async fn serve_built(build: impl FnOnce(&Url) -> SiteGraph) -> TestSite {
        Self::serve_built_slowly(build, std::time::Duration::ZERO).await
    }

    async fn serve_built_slowly(
        build: impl FnOnce(&Url) -> SiteGraph,
        delay: std::time::Duration,
    ) -> TestSite {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind site");
        let addr = listener.local_addr().expect("site addr");
        let base = Url::parse(&format!("http://{addr}/")).expect("base url");
        let graph = build(&base);
        let shared = Arc::new(Shared {
            delay,
            text: paragraphs(graph.text_bytes),
            ..Shared::default()
        });
        let graph = Arc::new(graph);
        let app = axum::Router::new()
            .fallback(serve_page)
            .with_state((graph, shared.clone()));
        let app = app.into_make_service_with_connect_info::<SocketAddr>();
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        TestSite {
            addr,
            base,
            shared,
            server,
        }
    }

    pub fn url(&self, path: &str) -> String {
        self.base.join(path).expect("join").to_string()
    }

    /// Every request so far.
    pub fn hits(&self) -> Vec<Hit> {
        self.shared.hits.lock().expect("hits").clone()
    }

    /// Bytes of [`PageKind::Streamed`] bodies the server was given to write so far.
    pub fn streamed_bytes(&self) -> usize {
        self.shared.streamed.load(Ordering::SeqCst)
    }

    /// From now on `path` answers 404 Not Found, as a page removed from the site does.
    pub fn take_down(&self, path: &str) {
        self.shared
            .gone
            .lock()
            .expect("gone")
            .insert(path.to_string());
    }

    /// Requests per path.
    pub fn hit_counts(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for hit in self.hits() {
            *counts.entry(hit.path).or_insert(0) += 1;
        }
        counts
    }
}

async fn serve_page(
    State((graph, shared)): State<(Arc<SiteGraph>, Arc<Shared>)>,
    request: Request,
) -> Response {
    let path = request.uri().path().to_string();
    let user_agent = request
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in request.headers() {
        let value = String::from_utf8_lossy(value.as_bytes());
        headers
            .entry(name.as_str().to_string())
            .and_modify(|joined| {
                joined.push_str(", ");
                joined.push_str(&value);
            })
            .or_insert_with(|| value.into_owned());
    }
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0);
    let method = request.method().to_string();
    let body = axum::body::to_bytes(request.into_body(), 1 << 20)
        .await
        .map(|bytes| bytes.to_vec())
        .unwrap_or_default();
    let hit = {
        let mut hits = shared.hits.lock().expect("hits");
        hits.push(Hit {
            path: path.clone(),
            method,
            body,
            at: Instant::now(),
            user_agent,
            headers,
            peer,
            finished_at: None,
        });
        hits.len() - 1
    };
    let response = answer(&graph, &shared, &path).await;
    shared.hits.lock().expect("hits")[hit].finished_at = Some(Instant::now());
    response
}

async fn answer(graph: &SiteGraph, shared: &Shared, path: &str) -> Response {
    let served = {
        let mut served = shared.served.lock().expect("served");
        let n = served.entry(path.to_string()).or_insert(0);
        *n += 1;
        *n
    };
    if !shared.delay.is_zero() {
        tokio::time::sleep(shared.delay).await;
    }
    let found = graph
        .lookup(path)
        .filter(|_| !shared.gone.lock().expect("gone").contains(path));
    match found.map(|(_, kind)| kind) {
        None | Some(PageKind::NotFound) => (StatusCode::NOT_FOUND, "not found").into_response(),
        Some(PageKind::Html(links)) => html(path, links, &shared.text),
        Some(PageKind::Flaky { failures, links }) => {
            if served <= *failures {
                (StatusCode::INTERNAL_SERVER_ERROR, "try again").into_response()
            } else {
                html(path, links, &shared.text)
            }
        }
        Some(PageKind::Redirect(to)) => {
            (StatusCode::FOUND, [(header::LOCATION, to.clone())]).into_response()
        }
        Some(PageKind::Binary) => (
            [(header::CONTENT_TYPE, "image/png")],
            vec![0x89u8, b'P', b'N', b'G', 0, 1, 2, 3, 255],
        )
            .into_response(),
        Some(PageKind::Huge(bytes)) => {
            let mut page = String::from("<html><body><a href=\"/\">home</a>");
            page.push_str(&"x".repeat(*bytes));
            page.push_str("</body></html>");
            ([(header::CONTENT_TYPE, "text/html")], Body::from(page)).into_response()
        }
        Some(PageKind::Custom {
            status,
            headers,
            body,
        }) => extra::custom(*status, headers, body),
        Some(PageKind::Throttled {
            times,
            status,
            retry_after,
            links,
        }) => {
            if served <= *times {
                extra::throttled(*status, retry_after.as_deref())
            } else {
                html(path, links, &shared.text)
            }
        }
        Some(PageKind::Streamed(bytes)) => extra::streamed(*bytes, shared.streamed.clone()),
        Some(PageKind::Trickle { interval, bytes }) => extra::trickle(*interval, *bytes),
        Some(PageKind::Calendar) => {
            let prefix = found.map_or("", |(key, _)| key.trim_end_matches('*'));
            html(path, &[extra::next_month(prefix, path)], &shared.text)
        }
        Some(PageKind::Growing) => html(path, &[extra::grown(path)], &shared.text),
    }
}

fn html(path: &str, links: &[String], text: &str) -> Response {
    let mut page =
        format!("<!doctype html><html><head><title>{path}</title></head><body><h1>{path}</h1>");
    page.push_str(text);
    for link in links {
        page.push_str(&format!("<a href=\"{link}\">{link}</a>\n"));
    }
    page.push_str("</body></html>");
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response()
}

/// About `bytes` of prose-like text in `<p>` paragraphs (empty for 0). The words cycle
/// through a fixed list so every run serves the same bytes.
fn paragraphs(bytes: usize) -> String {
    const WORDS: &[&str] = &[
        "the", "crawler", "reads", "every", "page", "of", "a", "site", "and", "follows", "links",
        "within", "its", "scope", "while", "workers", "share", "one", "queue", "budget", "depth",
        "events", "arrive", "signed", "through", "webhooks", "in", "order",
    ];
    let mut text = String::with_capacity(bytes + 64);
    let mut word = 0;
    while text.len() < bytes {
        text.push_str("<p>");
        for _ in 0..60 {
            text.push_str(WORDS[word % WORDS.len()]);
            text.push(' ');
            // Stepping by a number coprime with the list length varies the sentences.
            word += 5;
        }
        text.push_str("</p>\n");
    }
    text
}

impl Drop for TestSite {
    /// Dropping a task's handle does not stop the task: abort it, so a dropped server stops
    /// answering and frees what it recorded.
    fn drop(&mut self) {
        self.server.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn generated_pages_carry_the_text_asked_for() {
        let site = TestSite::serve(SiteGraph::generated_with_text(3, 4096)).await;
        let page = reqwest::get(site.url("/p/0"))
            .await
            .expect("request")
            .text()
            .await
            .expect("body");
        assert!(
            (4096..4096 + 1024).contains(&page.len()),
            "{} bytes",
            page.len()
        );
        assert!(page.contains("<p>the ") && page.contains("href=\"/p/1\""));
        assert!(paragraphs(0).is_empty());
    }
}
