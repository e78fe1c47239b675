//! A small site served on loopback, so `crawler crawl --demo` shows a real crawl on a
//! machine with no network: a handful of articles linking to each other, a tag cloud that
//! links back, an image, and one broken link.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

pub struct DemoSite {
    pub url: String,
}

const ARTICLES: usize = 12;

pub async fn serve() -> anyhow::Result<DemoSite> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let pages = Arc::new(pages());
    let app = axum::Router::new()
        .route("/", get(index))
        .route("/logo.png", get(logo))
        .route("/{*path}", get(page))
        .with_state(pages);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(DemoSite {
        url: format!("http://{addr}/"),
    })
}

fn pages() -> HashMap<String, String> {
    let mut pages = HashMap::new();
    for n in 0..ARTICLES {
        let next = (n + 1) % ARTICLES;
        let related = (n * 5 + 3) % ARTICLES;
        let body = format!(
            "<h1>Article {n}</h1><p>Some text.</p>\
             <a href=\"/articles/{next}\">next</a> <a href=\"/articles/{related}#comments\">related</a> \
             <a href=\"/tags/t{}\">tag</a> <a href=\"/\">home</a>",
            n % 3
        );
        pages.insert(format!("articles/{n}"), body);
    }
    for t in 0..3 {
        let links: String = (0..ARTICLES)
            .filter(|n| n % 3 == t)
            .map(|n| format!("<a href=\"/articles/{n}\">article {n}</a> "))
            .collect();
        pages.insert(format!("tags/t{t}"), format!("<h1>Tag {t}</h1>{links}"));
    }
    pages
}

async fn index() -> Response {
    html(
        "<h1>Demo site</h1><img src=\"/logo.png\"><a href=\"/articles/0\">latest</a> \
         <a href=\"/logo.png\">logo</a> <a href=\"/about\">about (broken)</a> \
         <a href=\"https://example.com/\">elsewhere (out of scope)</a>",
    )
}

async fn logo() -> Response {
    (
        [(header::CONTENT_TYPE, "image/png")],
        vec![0x89u8, b'P', b'N', b'G', 13, 10, 26, 10],
    )
        .into_response()
}

async fn page(
    State(pages): State<Arc<HashMap<String, String>>>,
    Path(path): Path<String>,
) -> Response {
    match pages.get(&path) {
        Some(body) => html(body),
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

fn html(body: &str) -> Response {
    let page =
        format!("<!doctype html><html><head><title>demo</title></head><body>{body}</body></html>");
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response()
}
