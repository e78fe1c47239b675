//! Endless link traps: a calendar whose every page links to the next month, and a trap
//! whose URLs grow by a segment per page. A crawl of either must end, bounded by the
//! job's depth, by its budget, or by the longest URL the workers follow.

use crawler_testkit::site::{PageKind, SiteGraph, TestSite};
use serde_json::json;

use crate::citizen::at_site::page_hits;
use crate::citizen::Deployed;

fn calendar() -> SiteGraph {
    SiteGraph::default()
        .page("/", PageKind::Html(vec!["/cal/2024-11".into()]))
        .page("/cal/*", PageKind::Calendar)
}

fn calendar_pages(site: &TestSite) -> Vec<String> {
    let mut months: Vec<String> = page_hits(site)
        .into_iter()
        .map(|hit| hit.path)
        .filter(|path| path.starts_with("/cal/"))
        .collect();
    months.sort();
    months
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_calendar_trap_is_bounded_by_max_depth() {
    let _machine = crate::beside_others().await;
    let site = TestSite::serve(calendar()).await;
    let deployed = Deployed::start(&[]).await;
    let crawl = deployed
        .crawl(json!({"start_url": site.url("/"), "max_depth": 4}))
        .await;

    // Depth 1 is 2024-11; depth 4, the deepest fetched, is 2025-02.
    assert_eq!(
        calendar_pages(&site),
        [
            "/cal/2024-11",
            "/cal/2024-12",
            "/cal/2025-01",
            "/cal/2025-02"
        ]
    );
    assert_eq!(crawl.page(&site.url("/cal/2025-02"))["currentDepth"], 4);
    assert_eq!(crawl.summary["jobState"], "finished");
    assert_eq!(crawl.summary["stopReason"], "exhausted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_calendar_trap_is_bounded_by_crawl_budget() {
    let _machine = crate::beside_others().await;
    let site = TestSite::serve(calendar()).await;
    let deployed = Deployed::start(&[]).await;
    let crawl = deployed
        .crawl(json!({"start_url": site.url("/"), "crawl_budget": 6}))
        .await;

    assert_eq!(crawl.summary["stopReason"], "budget");
    assert_eq!(crawl.summary["jobCost"], 6);
    assert_eq!(crawl.finished().len(), 6);
    assert_eq!(
        calendar_pages(&site).len(),
        5,
        "the start page and five months were fetched: {:?}",
        calendar_pages(&site)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trap_whose_urls_grow_is_bounded_by_max_url_len() {
    let _machine = crate::beside_others().await;
    const MAX_URL_LEN: usize = 80;
    let graph = SiteGraph::default()
        .page("/", PageKind::Html(vec!["/grow".into()]))
        .page("/grow*", PageKind::Growing);
    let site = TestSite::serve(graph).await;
    let limit = MAX_URL_LEN.to_string();
    let deployed = Deployed::start(&[("CRAWLER_MAX_URL_LEN", limit.as_str())]).await;
    // Neither depth nor budget binds here: only the URL length can end this crawl.
    let crawl = deployed
        .crawl(json!({"start_url": site.url("/"), "crawl_budget": 1000, "max_depth": 1000}))
        .await;

    assert_eq!(crawl.summary["stopReason"], "exhausted");
    let lengths: Vec<usize> = page_hits(&site)
        .iter()
        .map(|hit| site.url(&hit.path).len())
        .collect();
    let longest = lengths.iter().copied().max().expect("pages were fetched");
    assert!(
        longest <= MAX_URL_LEN,
        "a URL of {longest} characters was fetched"
    );
    // Each page's link is 5 characters longer than the page: the crawl went on until
    // the next link would pass the limit, and no further.
    assert!(
        longest + "/more".len() > MAX_URL_LEN,
        "the crawl stopped at {longest} characters, short of the limit"
    );
    let grow_pages = lengths.len() - 1;
    let first = site.url("/grow").len();
    assert_eq!(grow_pages, (MAX_URL_LEN - first) / 5 + 1, "{lengths:?}");
    assert_eq!(crawl.finished().len(), lengths.len());
}
