//! robots.txt as RFC 9309 reads it, fetched once per host for every worker: what it
//! disallows is never requested, is reported `robots_disallowed` and costs nothing; a
//! job may opt out; a robots.txt that answers 5xx keeps the host disallowed for a while.

use std::collections::BTreeSet;

use crawler_testkit::site::{PageKind, SiteGraph, TestSite};
use serde_json::json;

use crate::citizen::at_site::{assert_all_workers_sent, page_hits};
use crate::citizen::Deployed;

/// The `*` group forbids everything; our product token's group (matched without regard
/// to case) is the one that applies, with the RFC's matching rules:
/// - the longest matching rule wins (`/p/private` over `/p`, `/p/private/open$` over
///   `/p/private`);
/// - `$` anchors the end of the path, `*` matches any characters;
/// - an Allow and a Disallow of the same length: Allow wins.
const ROBOTS: &str = "\
User-agent: *
Disallow: /

User-agent: Crawler
Allow: /p
Disallow: /p/private
Allow: /p/private/open$
Disallow: /*.pdf$
Disallow: /tie
Allow: /tie
";

const ALLOWED: [&str; 5] = [
    "/p/a",
    "/p/private/open",
    "/doc.pdf.html",
    "/tie/x",
    "/other",
];
const DISALLOWED: [&str; 3] = ["/p/private/x", "/p/private/open/more", "/doc.pdf"];

fn robots_site(robots: PageKind) -> SiteGraph {
    let links = ALLOWED
        .iter()
        .chain(&DISALLOWED)
        .map(|p| p.to_string())
        .collect();
    let mut graph = SiteGraph::default()
        .page("/robots.txt", robots)
        .page("/", PageKind::Html(links));
    for path in ALLOWED.iter().chain(&DISALLOWED) {
        graph = graph.page(path, PageKind::Html(vec![]));
    }
    graph
}

fn paths(site: &TestSite) -> BTreeSet<String> {
    page_hits(site).into_iter().map(|hit| hit.path).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn robots_txt_rules_are_obeyed_and_fetched_once_for_both_workers() {
    let _machine = crate::beside_others().await;
    let site = TestSite::serve(robots_site(PageKind::robots(ROBOTS))).await;
    let deployed = Deployed::start(&[]).await;
    let crawl = deployed
        .crawl(json!({"start_url": site.url("/"), "max_depth": 1}))
        .await;

    let expected_fetched: BTreeSet<String> = ["/"]
        .iter()
        .chain(&ALLOWED)
        .map(|p| p.to_string())
        .collect();
    assert_eq!(paths(&site), expected_fetched, "the pages the site served");
    for path in ALLOWED {
        assert_eq!(crawl.page(&site.url(path))["status"], "finished", "{path}");
    }
    for path in DISALLOWED {
        let url = site.url(path);
        assert_eq!(crawl.fail_reason(&url), "robots_disallowed", "{path}");
        assert_eq!(crawl.page(&url)["credits"], 0, "{path} cost nothing");
    }
    assert_eq!(
        crawl.summary["jobCost"],
        1 + ALLOWED.len(),
        "only fetched pages cost"
    );
    assert_eq!(
        site.hit_counts().get("/robots.txt"),
        Some(&1),
        "robots.txt fetched once for the job"
    );
    // Both workers checked pages of the host against the one fetched copy.
    assert_all_workers_sent(&deployed.cluster, &site, &page_hits(&site));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_that_does_not_respect_robots_txt_fetches_disallowed_pages() {
    let _machine = crate::beside_others().await;
    let site = TestSite::serve(robots_site(PageKind::robots(ROBOTS))).await;
    let deployed = Deployed::start(&[]).await;
    let crawl = deployed
        .crawl(json!({
            "start_url": site.url("/"),
            "max_depth": 1,
            "respect_robots_txt": false,
        }))
        .await;

    let fetched = paths(&site);
    for path in DISALLOWED {
        assert!(
            fetched.contains(path),
            "{path} was not fetched: {fetched:?}"
        );
        assert_eq!(crawl.page(&site.url(path))["status"], "finished", "{path}");
    }
    assert_eq!(crawl.finished().len(), 1 + ALLOWED.len() + DISALLOWED.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_robots_txt_answering_503_keeps_the_host_unfetched() {
    let _machine = crate::beside_others().await;
    let unavailable = PageKind::Custom {
        status: 503,
        headers: vec![],
        body: b"down for maintenance".to_vec(),
    };
    let site = TestSite::serve(robots_site(unavailable)).await;
    let deployed = Deployed::start(&[]).await;
    let first = deployed
        .crawl(json!({"start_url": site.url("/"), "max_depth": 1}))
        .await;
    // A second job soon after meets the same remembered answer, without asking again.
    let second = deployed
        .crawl(json!({"start_url": site.url("/other"), "max_depth": 1}))
        .await;

    assert_eq!(first.fail_reason(&site.url("/")), "robots_unreachable");
    assert_eq!(
        second.fail_reason(&site.url("/other")),
        "robots_unreachable"
    );
    assert_eq!(first.summary["jobCost"], 0);
    assert!(
        paths(&site).is_empty(),
        "no page was fetched: {:?}",
        site.hits()
    );
    assert_eq!(site.hit_counts().get("/robots.txt"), Some(&1));
}
