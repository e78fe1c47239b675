//! `api_params` a site or a webhook receiver can tell apart: the body format in page
//! events, the User-Agent for `device_type`, and custom headers with `keep_headers`.

use crawler_testkit::site::{PageKind, SiteGraph, TestSite};
use serde_json::json;

use crate::citizen::at_site::page_hits;
use crate::citizen::Deployed;

const ARTICLE: &str = "<!doctype html><html><head><title>Article</title></head><body>\
<h1>Title</h1><p>Some <b>bold</b> text with a <a href=\"/next\">link</a>.</p></body></html>";

fn article_site() -> SiteGraph {
    SiteGraph::default()
        .page("/", PageKind::raw_html(ARTICLE))
        .page("/next", PageKind::Html(vec![]))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_format_markdown_and_text_shape_the_page_bodies() {
    let _machine = crate::beside_others().await;
    let site = TestSite::serve(article_site()).await;
    let deployed = Deployed::start(&[]).await;
    let job = |format: &str| json!({"start_url": site.url("/"), "max_depth": 1, "api_params": {"output_format": format}});
    let markdown = deployed.crawl(job("markdown")).await;
    let text = deployed.crawl(job("text")).await;
    let html = deployed.crawl(job("html")).await;

    let body = markdown.body(&site.url("/"));
    for expected in ["# Title", "**bold**", "[link](/next)"] {
        assert!(
            body.contains(expected),
            "markdown lacks `{expected}`: {body}"
        );
    }
    assert!(!body.contains("<h1>"), "markdown still has tags: {body}");
    let body = text.body(&site.url("/"));
    assert!(body.contains("Title") && body.contains("bold"), "{body}");
    assert!(!body.contains('<'), "text still has tags: {body}");
    assert_eq!(
        html.body(&site.url("/")),
        ARTICLE,
        "html is the page as served"
    );
    // The format changes what is reported, not what is crawled.
    for crawl in [&markdown, &text, &html] {
        assert_eq!(crawl.page(&site.url("/next"))["status"], "finished");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_type_mobile_sends_a_mobile_user_agent() {
    let _machine = crate::beside_others().await;
    let mobile_site = TestSite::serve(article_site()).await;
    let desktop_site = TestSite::serve(article_site()).await;
    let deployed = Deployed::start(&[]).await;
    let job = |site: &TestSite, device: &str| json!({"start_url": site.url("/"), "max_depth": 1, "api_params": {"device_type": device}});
    deployed.crawl(job(&mobile_site, "mobile")).await;
    deployed.crawl(job(&desktop_site, "desktop")).await;

    let agents = |site: &TestSite| -> Vec<String> {
        page_hits(site)
            .into_iter()
            .map(|hit| hit.user_agent.unwrap_or_default())
            .collect()
    };
    let mobile = agents(&mobile_site);
    assert_eq!(mobile.len(), 2);
    for agent in &mobile {
        assert!(
            agent.contains("Mobile") && agent.contains("Android"),
            "not a mobile User-Agent: {agent}"
        );
        assert!(
            agent.contains("crawler/"),
            "our product token is kept: {agent}"
        );
    }
    let desktop = agents(&desktop_site);
    assert_eq!(desktop.len(), 2);
    for agent in &desktop {
        assert!(
            agent.starts_with("crawler/") && !agent.contains("Mobile"),
            "not the desktop User-Agent: {agent}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_headers_sends_the_jobs_headers_and_only_then() {
    let _machine = crate::beside_others().await;
    let kept_site = TestSite::serve(article_site()).await;
    let dropped_site = TestSite::serve(article_site()).await;
    let deployed = Deployed::start(&[]).await;
    let job = |site: &TestSite, keep: bool| {
        json!({
            "start_url": site.url("/"),
            "max_depth": 1,
            "api_params": {"keep_headers": keep, "headers": {"X-Test-Token": "secret-1"}},
        })
    };
    deployed.crawl(job(&kept_site, true)).await;
    deployed.crawl(job(&dropped_site, false)).await;

    let kept = page_hits(&kept_site);
    assert_eq!(kept.len(), 2);
    for hit in &kept {
        assert_eq!(
            hit.headers.get("x-test-token").map(String::as_str),
            Some("secret-1"),
            "{}: {:?}",
            hit.path,
            hit.headers
        );
    }
    let dropped = page_hits(&dropped_site);
    assert_eq!(dropped.len(), 2);
    for hit in &dropped {
        assert!(
            !hit.headers.contains_key("x-test-token"),
            "{} got the header without keep_headers",
            hit.path
        );
    }
}
