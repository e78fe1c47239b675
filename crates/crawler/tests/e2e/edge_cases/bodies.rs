//! Bodies and responses that are not the happy path: other charsets, broken UTF-8, a body
//! too large to take, a server that trickles, redirects that go round.

use std::time::{Duration, Instant};

use crawler_testkit::site::{PageKind, SiteGraph, TestSite};
use serde_json::json;

use crate::citizen::Deployed;

fn html_bytes(content_type: &str, body: &[u8]) -> PageKind {
    PageKind::text(content_type, body.to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn charsets_from_the_header_and_from_meta_decode_and_invalid_utf8_does_not_stop_the_crawl() {
    let _machine = crate::beside_others().await;
    let graph = SiteGraph::default()
        .page(
            "/",
            PageKind::Html(vec![
                "/cp1252".into(),
                "/meta-charset".into(),
                "/meta-http-equiv".into(),
                "/invalid-utf8".into(),
            ]),
        )
        // The charset named only by the Content-Type header.
        .page(
            "/cp1252",
            html_bytes(
                "text/html; charset=windows-1252",
                b"<html><body><p>caf\xe9 \x93quoted\x94 na\xefve \x80 5</p></body></html>",
            ),
        )
        // Named only by a <meta charset>, the header saying nothing.
        .page(
            "/meta-charset",
            html_bytes(
                "text/html",
                b"<html><head><meta charset=\"iso-8859-1\"></head>\
                  <body><p>gar\xe7on \xfcber</p><a href=\"/after-meta\">next</a></body></html>",
            ),
        )
        .page(
            "/meta-http-equiv",
            html_bytes(
                "text/html",
                b"<html><head><meta http-equiv=\"Content-Type\" \
                  content=\"text/html; charset=ISO-8859-1\"></head>\
                  <body><p>se\xf1or</p></body></html>",
            ),
        )
        // Declared UTF-8, with bytes that are not.
        .page(
            "/invalid-utf8",
            html_bytes(
                "text/html; charset=utf-8",
                b"<html><body><p>ok \xff\xfe\xc3 broken</p><a href=\"/after-invalid\">next</a>\
                  </body></html>",
            ),
        )
        .page("/after-meta", PageKind::Html(vec![]))
        .page("/after-invalid", PageKind::Html(vec![]));
    let site = TestSite::serve(graph).await;
    let deployed = Deployed::start(&[]).await;
    let crawl = deployed
        .crawl(json!({"start_url": site.url("/"), "max_depth": 2}))
        .await;

    let body = crawl.body(&site.url("/cp1252"));
    assert!(body.contains("café “quoted” naïve € 5"), "{body}");
    let body = crawl.body(&site.url("/meta-charset"));
    assert!(body.contains("garçon über"), "{body}");
    let body = crawl.body(&site.url("/meta-http-equiv"));
    assert!(body.contains("señor"), "{body}");
    let body = crawl.body(&site.url("/invalid-utf8"));
    assert!(
        body.contains("ok \u{FFFD}") && body.contains("broken"),
        "{body}"
    );
    // Links of both pages were read and followed.
    assert_eq!(crawl.page(&site.url("/after-meta"))["status"], "finished");
    assert_eq!(
        crawl.page(&site.url("/after-invalid"))["status"],
        "finished"
    );
    assert!(crawl.failed().is_empty(), "{:?}", crawl.failed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_the_cap_fails_too_large_without_being_downloaded() {
    let _machine = crate::beside_others().await;
    const CAP: usize = 50_000;
    const BODY: usize = 64 * 1024 * 1024;
    let graph = SiteGraph::default()
        .page("/", PageKind::Html(vec!["/big".into(), "/fine".into()]))
        .page("/big", PageKind::Streamed(BODY))
        .page("/fine", PageKind::Html(vec![]));
    let site = TestSite::serve(graph).await;
    let cap = CAP.to_string();
    let deployed = Deployed::start(&[("CRAWLER_FETCH_MAX_BODY_BYTES", cap.as_str())]).await;
    let crawl = deployed
        .crawl(json!({"start_url": site.url("/"), "max_depth": 1}))
        .await;

    assert_eq!(crawl.fail_reason(&site.url("/big")), "too_large");
    assert_eq!(crawl.page(&site.url("/big"))["credits"], 0);
    assert_eq!(crawl.page(&site.url("/fine"))["status"], "finished");
    assert_eq!(
        site.hit_counts().get("/big"),
        Some(&1),
        "too_large is not retried"
    );
    // The crawler hung up soon after the cap; what the site wrote beyond it is what the
    // connection's buffers took before that.
    let written = site.streamed_bytes();
    assert!(
        written < BODY / 8,
        "the site wrote {written} of {BODY} bytes: the body was read far past the cap"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_trickles_bytes_fails_with_timeout() {
    let _machine = crate::alone().await;
    let graph = SiteGraph::default()
        .page("/", PageKind::Html(vec!["/slow".into(), "/fine".into()]))
        // 20 s of body if anyone waited for it.
        .page(
            "/slow",
            PageKind::Trickle {
                interval: Duration::from_secs(1),
                bytes: 20,
            },
        )
        .page("/fine", PageKind::Html(vec![]));
    let site = TestSite::serve(graph).await;
    let deployed = Deployed::start(&[
        ("CRAWLER_FETCH_READ_TIMEOUT_MS", "300"),
        ("CRAWLER_FETCH_MAX_ATTEMPTS", "2"),
    ])
    .await;
    let started = Instant::now();
    let crawl = deployed
        .crawl(json!({"start_url": site.url("/"), "max_depth": 1}))
        .await;

    assert_eq!(crawl.fail_reason(&site.url("/slow")), "timeout");
    assert_eq!(crawl.page(&site.url("/slow"))["attempts"], 2);
    assert_eq!(crawl.page(&site.url("/fine"))["status"], "finished");
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "the crawl waited for the trickle: {:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirect_loops_fail_with_redirect_loop() {
    let _machine = crate::beside_others().await;
    let graph = SiteGraph::default()
        .page("/", PageKind::Html(vec!["/loop-a".into(), "/self".into()]))
        .page("/loop-a", PageKind::Redirect("/loop-b".into()))
        .page("/loop-b", PageKind::Redirect("/loop-a".into()))
        .page("/self", PageKind::Redirect("/self".into()));
    let site = TestSite::serve(graph).await;
    let deployed = Deployed::start(&[]).await;
    let crawl = deployed
        .crawl(json!({"start_url": site.url("/"), "max_depth": 1}))
        .await;

    assert_eq!(crawl.fail_reason(&site.url("/loop-a")), "redirect_loop");
    assert_eq!(crawl.fail_reason(&site.url("/self")), "redirect_loop");
    let hits = site.hit_counts();
    for path in ["/loop-a", "/loop-b", "/self"] {
        assert_eq!(hits.get(path), Some(&1), "requests for {path}: {hits:?}");
    }
}
