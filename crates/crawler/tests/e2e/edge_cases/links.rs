//! Links as pages really write them: relative, protocol-relative, under a `<base href>`,
//! with spaces and non-ASCII characters, in schemes that cannot be fetched, and the same
//! link written several ways.

use std::collections::BTreeSet;

use crawler_testkit::site::{PageKind, SiteGraph, TestSite};
use serde_json::json;

use crate::citizen::at_site::page_hits;
use crate::citizen::Deployed;

fn fetched_paths(site: &TestSite) -> BTreeSet<String> {
    page_hits(site).into_iter().map(|hit| hit.path).collect()
}

fn set(paths: &[&str]) -> BTreeSet<String> {
    paths.iter().map(|p| p.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relative_protocol_relative_and_base_href_links_resolve() {
    let _machine = crate::beside_others().await;
    // The protocol-relative link names the site's own address.
    let site = TestSite::serve_built(|base| {
        let authority = format!("127.0.0.1:{}", base.port().expect("port"));
        let page = format!(
            "<html><body>\
             <a href=\"sub\">sub</a> <a href=\"../up\">up</a> \
             <a href=\"./x/../same-dir\">same</a> <a href=\"//{authority}/proto\">proto</a>\
             </body></html>"
        );
        let based = "<html><head><a href=\"before\">written before the base</a>\
                     <base href=\"/other/\"></head>\
                     <body><a href=\"after\">after</a> <a href=\"/rooted\">rooted</a></body></html>";
        SiteGraph::default()
            .page("/", PageKind::Html(vec!["/dir/page".into(), "/based/index".into()]))
            .page("/dir/page", PageKind::raw_html(&page))
            .page("/based/index", PageKind::raw_html(based))
            .page("/robots.txt", PageKind::NotFound)
            .page("/*", PageKind::Html(vec![]))
    })
    .await;
    let deployed = Deployed::start(&[]).await;
    let crawl = deployed
        .crawl(json!({"start_url": site.url("/"), "max_depth": 2}))
        .await;

    let expected = set(&[
        "/",
        "/dir/page",
        "/based/index",
        "/dir/sub",
        "/up",
        "/dir/same-dir",
        "/proto",
        "/other/before",
        "/other/after",
        "/rooted",
    ]);
    assert_eq!(fetched_paths(&site), expected);
    assert_eq!(crawl.finished().len(), expected.len());
    assert_eq!(crawl.page(&site.url("/proto"))["currentDepth"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_with_spaces_and_non_ascii_characters_are_fetched_percent_encoded() {
    let _machine = crate::beside_others().await;
    let graph = SiteGraph::default()
        .page(
            "/",
            PageKind::raw_html(
                "<html><body><a href=\"/a b\">space</a> <a href=\"/café\">accent</a>\
                 <a href=\"/日本/ページ\">cjk</a> <a href=\" /trimmed \">padded</a></body></html>",
            ),
        )
        .page("/robots.txt", PageKind::NotFound)
        .page("/*", PageKind::Html(vec![]));
    let site = TestSite::serve(graph).await;
    let deployed = Deployed::start(&[]).await;
    let crawl = deployed
        .crawl(json!({"start_url": site.url("/"), "max_depth": 1}))
        .await;

    let encoded = [
        "/a%20b",
        "/caf%C3%A9",
        "/%E6%97%A5%E6%9C%AC/%E3%83%9A%E3%83%BC%E3%82%B8",
        "/trimmed",
    ];
    let mut expected = set(&encoded);
    expected.insert("/".into());
    assert_eq!(fetched_paths(&site), expected);
    for path in encoded {
        assert_eq!(crawl.page(&site.url(path))["status"], "finished", "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn javascript_mailto_and_tel_links_are_ignored() {
    let _machine = crate::beside_others().await;
    let graph = SiteGraph::default()
        .page(
            "/",
            PageKind::Html(vec![
                "javascript:void(0)".into(),
                "JavaScript:alert('x')".into(),
                "mailto:someone@example.com".into(),
                "tel:+15550100".into(),
                "data:text/html,<p>x</p>".into(),
                "/real".into(),
            ]),
        )
        .page("/real", PageKind::Html(vec![]));
    let site = TestSite::serve(graph).await;
    let deployed = Deployed::start(&[]).await;
    let crawl = deployed
        .crawl(json!({"start_url": site.url("/"), "max_depth": 1}))
        .await;

    let reported: BTreeSet<String> = crawl.pages.keys().cloned().collect();
    assert_eq!(reported, [site.url("/"), site.url("/real")].into());
    assert_eq!(fetched_paths(&site), set(&["/", "/real"]));
    assert!(crawl.failed().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_differing_only_by_fragment_or_default_port_are_fetched_once() {
    let _machine = crate::beside_others().await;
    let site = TestSite::serve_built(|base| {
        let port = base.port().expect("port");
        let links = vec![
            "/d".to_string(),
            "/d#one".into(),
            "d#two".into(),
            format!("http://127.0.0.1:{port}/d#three"),
            format!("HTTP://127.0.0.1:{port}/./d"),
            // One URL on the scheme's default port, written with and without it.
            "http://127.0.0.1:80/e#x".into(),
            "http://127.0.0.1/e".into(),
        ];
        SiteGraph::default()
            .page("/", PageKind::Html(links))
            .page("/d", PageKind::Html(vec![]))
    })
    .await;
    let deployed = Deployed::start(&[("CRAWLER_FETCH_MAX_ATTEMPTS", "1")]).await;
    // Scope `any`: the default-port URL is in scope whatever scope rules say of ports.
    let crawl = deployed
        .crawl(json!({"start_url": site.url("/"), "max_depth": 1, "scope": "any"}))
        .await;

    assert_eq!(
        site.hit_counts().get("/d"),
        Some(&1),
        "{:?}",
        site.hit_counts()
    );
    let reported: BTreeSet<String> = crawl.pages.keys().cloned().collect();
    let expected: BTreeSet<String> = [
        site.url("/"),
        site.url("/d"),
        "http://127.0.0.1/e".to_string(),
    ]
    .into();
    assert_eq!(reported, expected, "one page event per distinct URL");
}
