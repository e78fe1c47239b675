//! The HTTP fetcher against real servers on 127.0.0.1: pages, redirects, headers.

use std::io::Write;
use std::time::Duration;

use crate::support::{serve, test_config};
use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use crawler_fetcher::fetch::{FetchConfig, FetchError, HttpFetcher, RequestOptions};
use url::Url;

fn url(addr: std::net::SocketAddr, path: &str) -> Url {
    Url::parse(&format!("http://{addr}{path}")).unwrap()
}

async fn fetch(
    config: FetchConfig,
    target: &Url,
    opts: &RequestOptions,
) -> Result<crawler_fetcher::fetch::FetchedPage, FetchError> {
    HttpFetcher::new(config).unwrap().fetch(target, opts).await
}

fn redirect_app() -> Router {
    Router::new()
        .route("/start", get(|| async { Redirect::permanent("/middle") }))
        .route("/middle", get(|| async { Redirect::to("final?x=1") }))
        .route("/final", get(|| async { "final page" }))
        .route("/a", get(|| async { Redirect::temporary("/b") }))
        .route("/b", get(|| async { Redirect::temporary("/a") }))
        .route(
            "/hop/{n}",
            get(
                |axum::extract::Path(n): axum::extract::Path<u32>| async move {
                    Redirect::to(&format!("/hop/{}", n + 1))
                },
            ),
        )
}

#[tokio::test]
async fn redirects_are_followed_and_the_final_url_reported() {
    let addr = serve(redirect_app()).await;
    let page = fetch(
        test_config(),
        &url(addr, "/start"),
        &RequestOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(page.status, 200);
    assert_eq!(page.final_url, url(addr, "/final?x=1"));
    assert_eq!(
        page.redirects,
        vec![url(addr, "/middle"), url(addr, "/final?x=1")]
    );
    assert_eq!(&page.body[..], b"final page");
}

#[tokio::test]
async fn a_redirect_loop_fails_with_redirect_loop() {
    let addr = serve(redirect_app()).await;
    let err = fetch(test_config(), &url(addr, "/a"), &RequestOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::RedirectLoop { .. }), "{err:?}");
    assert_eq!(err.fail_reason(), "redirect_loop");
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn a_chain_longer_than_the_limit_fails() {
    let addr = serve(redirect_app()).await;
    let config = FetchConfig {
        max_redirects: 3,
        ..test_config()
    };
    let err = fetch(config, &url(addr, "/hop/0"), &RequestOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err, FetchError::TooManyRedirects { limit: 3 });
}

#[tokio::test]
async fn without_follow_redirects_the_3xx_is_the_page() {
    let addr = serve(redirect_app()).await;
    let opts = RequestOptions {
        follow_redirects: false,
        ..RequestOptions::default()
    };
    let page = fetch(test_config(), &url(addr, "/start"), &opts)
        .await
        .unwrap();
    assert_eq!(page.status, 308);
    assert_eq!(
        page.headers.get("location").map(String::as_str),
        Some("/middle")
    );
    assert_eq!(page.final_url, url(addr, "/start"));
    assert!(page.redirects.is_empty());
}

#[tokio::test]
async fn http_error_statuses_are_pages_with_retry_after() {
    let app = Router::new().route(
        "/busy",
        get(|| async {
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [("retry-after", "7")],
                "try later",
            )
        }),
    );
    let addr = serve(app).await;
    let page = fetch(
        test_config(),
        &url(addr, "/busy"),
        &RequestOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(page.status, 503);
    assert_eq!(page.retry_after(), Some(Duration::from_secs(7)));
    assert_eq!(&page.body[..], b"try later");
}

#[tokio::test]
async fn gzip_bodies_are_decoded() {
    let html =
        "<html><body>".to_string() + &"<p>compressed text</p>".repeat(500) + "</body></html>";
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(html.as_bytes()).unwrap();
    let gzipped = encoder.finish().unwrap();
    assert!(gzipped.len() < html.len() / 10);
    let app = Router::new().route(
        "/",
        get(move |headers: HeaderMap| async move {
            let accepts_gzip = headers
                .get("accept-encoding")
                .is_some_and(|v| v.to_str().unwrap_or("").contains("gzip"));
            if !accepts_gzip {
                return (StatusCode::BAD_REQUEST, "no gzip").into_response();
            }
            (
                [("content-encoding", "gzip"), ("content-type", "text/html")],
                gzipped,
            )
                .into_response()
        }),
    );
    let addr = serve(app).await;
    let page = fetch(test_config(), &url(addr, "/"), &RequestOptions::default())
        .await
        .unwrap();
    assert_eq!(page.status, 200);
    assert_eq!(&page.body[..], html.as_bytes());
    assert!(page.is_html());
}

#[tokio::test]
async fn headers_and_user_agent_are_sent_and_response_headers_flattened() {
    let app = Router::new().route(
        "/",
        get(|headers: HeaderMap| async move {
            let echo = |name: &str| {
                headers
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-")
                    .to_string()
            };
            let mut response = Response::new(Body::from(format!(
                "{}|{}",
                echo("user-agent"),
                echo("x-job")
            )));
            response
                .headers_mut()
                .append("x-multi", "one".parse().unwrap());
            response
                .headers_mut()
                .append("x-multi", "two".parse().unwrap());
            response
        }),
    );
    let addr = serve(app).await;
    let fetcher = HttpFetcher::new(test_config()).unwrap();
    let page = fetcher
        .fetch(&url(addr, "/"), &RequestOptions::default())
        .await
        .unwrap();
    assert_eq!(&page.body[..], b"crawler-test/1|-");
    assert_eq!(page.headers["x-multi"], "one, two");
    let opts = RequestOptions {
        headers: vec![("X-Job".to_string(), "42".to_string())],
        user_agent: Some("custom-agent".to_string()),
        ..RequestOptions::default()
    };
    let page = fetcher.fetch(&url(addr, "/"), &opts).await.unwrap();
    assert_eq!(&page.body[..], b"custom-agent|42");
    let bad = RequestOptions {
        headers: vec![("bad header".to_string(), "x".to_string())],
        ..RequestOptions::default()
    };
    let err = fetcher.fetch(&url(addr, "/"), &bad).await.unwrap_err();
    assert_eq!(err.fail_reason(), "invalid_request");
}

#[tokio::test]
async fn credentials_are_not_forwarded_to_another_origin() {
    let other = serve(Router::new().route(
        "/landing",
        get(|headers: HeaderMap| async move {
            format!("auth={}", headers.contains_key("authorization"))
        }),
    ))
    .await;
    let first = serve(Router::new().route(
        "/",
        get(move |headers: HeaderMap| async move {
            assert!(headers.contains_key("authorization"));
            Redirect::to(&format!("http://{other}/landing"))
        }),
    ))
    .await;
    let opts = RequestOptions {
        headers: vec![("Authorization".to_string(), "Bearer secret".to_string())],
        ..RequestOptions::default()
    };
    let page = fetch(test_config(), &url(first, "/"), &opts).await.unwrap();
    assert_eq!(&page.body[..], b"auth=false");
}

#[tokio::test]
async fn requests_go_through_the_configured_proxy() {
    // A proxy sees the absolute URL in the request line; this one answers itself.
    let proxy =
        serve(Router::new().fallback(|uri: Uri| async move { format!("proxied {uri}") })).await;
    let config = FetchConfig {
        proxy: Some(format!("http://{proxy}")),
        ..test_config()
    };
    let target = Url::parse("http://crawl-target.example/page?q=1").unwrap();
    let page = fetch(config, &target, &RequestOptions::default())
        .await
        .unwrap();
    assert_eq!(
        &page.body[..],
        b"proxied http://crawl-target.example/page?q=1"
    );
}
