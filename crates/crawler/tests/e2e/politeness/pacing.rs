//! Per-host pacing, seen at the site: request starts spaced by `delay_ms` or the
//! robots.txt Crawl-delay, no more requests in flight than allowed, a 429's Retry-After
//! honoured by every worker, and a cap on the pages fetched from a host.

use std::time::Duration;

use crawler_testkit::site::{PageKind, SiteGraph, TestSite};
use serde_json::json;

use crate::citizen::at_site::{
    assert_all_workers_sent, assert_starts_spaced, max_in_flight, page_hits,
};
use crate::citizen::Deployed;

/// How much closer than the rule two request starts may be at the site. The gate
/// spaces the grants on Redis's millisecond clock; a request then takes a moment to
/// reach the site, and that moment varies a little between workers.
const CLOCK_SLACK: Duration = Duration::from_millis(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delay_ms_spaces_every_request_start_across_both_workers() {
    let _machine = crate::alone().await;
    let site = TestSite::serve(SiteGraph::generated(14)).await;
    let deployed = Deployed::start(&[("CRAWLER_DELAY_MS", "200")]).await;
    let crawl = deployed
        .crawl(json!({"start_url": site.url("/"), "max_depth": 10}))
        .await;

    assert_eq!(crawl.finished().len(), 15, "the whole site was crawled");
    let hits = site.hits();
    assert_all_workers_sent(&deployed.cluster, &site, &page_hits(&site));
    // Every request the site saw, robots.txt included, whichever worker sent it.
    assert_starts_spaced(&hits, Duration::from_millis(200) - CLOCK_SLACK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_flight_requests_never_exceed_max_concurrency_per_host() {
    let _machine = crate::alone().await;
    // 150 ms per answer: without the limit, the two workers' 32 fetch slots would have
    // every page of a level in flight at once.
    let site = TestSite::serve_slowly(SiteGraph::generated(14), Duration::from_millis(150)).await;
    let deployed = Deployed::start(&[("CRAWLER_MAX_CONCURRENCY_PER_HOST", "2")]).await;
    let crawl = deployed
        .crawl(json!({"start_url": site.url("/"), "max_depth": 10}))
        .await;

    assert_eq!(crawl.finished().len(), 15, "the whole site was crawled");
    let hits = site.hits();
    assert_all_workers_sent(&deployed.cluster, &site, &page_hits(&site));
    assert_eq!(
        max_in_flight(&hits),
        2,
        "requests in flight at the site at most (and, with levels of up to 7 pages, at \
         least once) 2"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crawl_delay_in_robots_txt_spaces_request_starts() {
    let _machine = crate::alone().await;
    let graph = SiteGraph::default()
        .page(
            "/robots.txt",
            PageKind::robots("User-agent: *\nCrawl-delay: 1\n"),
        )
        .page("/", PageKind::Html(vec!["/a".into(), "/b".into()]))
        .page("/a", PageKind::Html(vec![]))
        .page("/b", PageKind::Html(vec![]));
    let site = TestSite::serve(graph).await;
    let deployed = Deployed::start(&[]).await;
    let crawl = deployed
        .crawl(json!({"start_url": site.url("/"), "max_depth": 2}))
        .await;

    assert_eq!(crawl.finished().len(), 3);
    assert_starts_spaced(&page_hits(&site), Duration::from_secs(1) - CLOCK_SLACK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_with_retry_after_pauses_the_host_and_the_page_succeeds_on_retry() {
    let _machine = crate::alone().await;
    let graph = SiteGraph::default()
        .page(
            "/",
            PageKind::Html(vec![
                "/a".into(),
                "/limited".into(),
                "/b".into(),
                "/c".into(),
            ]),
        )
        .page("/a", PageKind::Html(vec![]))
        .page("/b", PageKind::Html(vec![]))
        .page("/c", PageKind::Html(vec![]))
        .page(
            "/limited",
            PageKind::Throttled {
                times: 1,
                status: 429,
                retry_after: Some("1".into()),
                links: vec![],
            },
        );
    let site = TestSite::serve(graph).await;
    // One request at a time, so that "the next request" is well defined: nothing was
    // already on its way when the 429 came back. The pause used when a 429 names none
    // is short, so only an honoured Retry-After can make the pause a second long.
    let deployed = Deployed::start(&[
        ("CRAWLER_MAX_CONCURRENCY_PER_HOST", "1"),
        ("CRAWLER_THROTTLE_BACKOFF_MS", "100"),
    ])
    .await;
    let crawl = deployed
        .crawl(json!({"start_url": site.url("/"), "max_depth": 1}))
        .await;

    let limited = crawl.page(&site.url("/limited"));
    assert_eq!(limited["status"], "finished", "{limited}");
    assert_eq!(limited["attempts"], 2, "{limited}");
    assert_eq!(crawl.finished().len(), 5);

    let mut hits = page_hits(&site);
    hits.sort_by_key(|hit| hit.at);
    let throttled = hits
        .iter()
        .position(|hit| hit.path == "/limited")
        .expect("/limited was requested");
    let answered = hits[throttled].finished_at.expect("the 429 was answered");
    let next = hits
        .get(throttled + 1)
        .expect("a request after the 429 (at least its retry)");
    let pause = next.at.duration_since(answered);
    assert!(
        pause >= Duration::from_secs(1) - CLOCK_SLACK,
        "the next request ({}) came {pause:?} after the 429",
        next.path
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_pages_per_host_caps_the_pages_fetched() {
    let _machine = crate::beside_others().await;
    let site = TestSite::serve(SiteGraph::generated(30)).await;
    let deployed = Deployed::start(&[]).await;
    let crawl = deployed
        .crawl(json!({"start_url": site.url("/"), "max_depth": 10, "max_pages_per_host": 5}))
        .await;

    let fetched = page_hits(&site);
    assert_eq!(fetched.len(), 5, "pages fetched from the host: {fetched:?}");
    assert_eq!(crawl.finished().len(), 5);
    assert_eq!(crawl.summary["jobCost"], 5);
    assert_eq!(crawl.summary["jobState"], "finished");
}
