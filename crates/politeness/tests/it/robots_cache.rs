//! How [`Robots`] caches: one fetch per host for the cache period, one fetch per worker
//! when tasks miss together, short-lived disallow for unreachable hosts; and the facade.

use std::sync::Arc;
use std::time::Duration;

use crawler_politeness::{Politeness, PolitenessConfig, RobotsResponse};

use crate::common::{robots, url, FakeFetcher};

#[tokio::test]
async fn one_fetch_per_host_scheme_and_port() {
    let robots = robots("crawler");
    let fetcher = FakeFetcher::new();
    for raw in [
        "http://a.test/1",
        "http://a.test/2?q",
        "http://A.test:80/3",
        "http://user@a.test/4",
        "http://a.test:8080/",
        "https://a.test/",
        "http://b.test/",
        "http://b.test/again",
    ] {
        robots.rules_for(&url(raw), &fetcher).await.unwrap();
    }
    assert_eq!(
        fetcher.requested(),
        [
            "http://a.test/robots.txt",
            "http://a.test:8080/robots.txt",
            "https://a.test/robots.txt",
            "http://b.test/robots.txt",
        ]
    );
}

#[tokio::test]
async fn tasks_of_one_worker_missing_together_share_one_fetch() {
    let robots = Arc::new(robots("crawler"));
    let fetcher = Arc::new(FakeFetcher::slow(Duration::from_millis(50)));
    fetcher.serve(
        "http://a.test/robots.txt",
        200,
        "User-agent: *\nDisallow: /no\n",
    );
    let checks = (0..10).map(|i| {
        let (robots, fetcher) = (robots.clone(), fetcher.clone());
        tokio::spawn(async move {
            let target = url(&format!("http://a.test/no/{i}"));
            let rules = robots.rules_for(&target, fetcher.as_ref()).await.unwrap();
            rules.is_allowed(&target)
        })
    });
    for verdict in futures::future::join_all(checks).await {
        assert!(!verdict.unwrap());
    }
    assert_eq!(fetcher.calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn an_unreachable_host_is_retried_after_the_short_ttl() {
    let robots = robots("crawler");
    let fetcher = FakeFetcher::new();
    let page = url("http://down.test/page");
    fetcher.answer("http://down.test/robots.txt", RobotsResponse::Unreachable);
    assert!(!robots
        .rules_for(&page, &fetcher)
        .await
        .unwrap()
        .is_allowed(&page));

    // The site comes back, but the disallow holds for the unreachable TTL (10 min).
    fetcher.serve(
        "http://down.test/robots.txt",
        200,
        "User-agent: *\nAllow: /\n",
    );
    tokio::time::advance(Duration::from_secs(9 * 60)).await;
    assert!(!robots
        .rules_for(&page, &fetcher)
        .await
        .unwrap()
        .is_allowed(&page));
    assert_eq!(fetcher.calls(), 1);

    tokio::time::advance(Duration::from_secs(61)).await;
    assert!(robots
        .rules_for(&page, &fetcher)
        .await
        .unwrap()
        .is_allowed(&page));
    assert_eq!(fetcher.calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_fetched_file_is_trusted_for_the_cache_ttl_only() {
    let robots = robots("crawler");
    let fetcher = FakeFetcher::new();
    let page = url("http://a.test/private");
    fetcher.serve(
        "http://a.test/robots.txt",
        200,
        "User-agent: *\nDisallow: /private\n",
    );
    assert!(!robots
        .rules_for(&page, &fetcher)
        .await
        .unwrap()
        .is_allowed(&page));

    fetcher.serve(
        "http://a.test/robots.txt",
        200,
        "User-agent: *\nDisallow:\n",
    );
    tokio::time::advance(Duration::from_secs(23 * 3600)).await;
    assert!(!robots
        .rules_for(&page, &fetcher)
        .await
        .unwrap()
        .is_allowed(&page));
    assert_eq!(
        fetcher.calls(),
        1,
        "the local cache expired, the shared copy did not"
    );

    tokio::time::advance(Duration::from_secs(3600)).await;
    assert!(robots
        .rules_for(&page, &fetcher)
        .await
        .unwrap()
        .is_allowed(&page));
    assert_eq!(fetcher.calls(), 2);
}

#[tokio::test]
async fn facade_reports_the_verdict_and_crawl_delay() {
    let politeness = Politeness::memory(PolitenessConfig::default());
    let fetcher = FakeFetcher::new();
    let body =
        "User-agent: Crawler\nCrawl-delay: 3\nDisallow: /admin\n\nUser-agent: *\nDisallow: /\n";
    fetcher.serve("https://shop.test/robots.txt", 200, body);
    let open = politeness
        .check_robots(&url("https://shop.test/products"), &fetcher)
        .await
        .unwrap();
    assert!(
        open.allowed,
        "our token is `crawler`, taken from user_agent"
    );
    assert_eq!(open.crawl_delay, Some(Duration::from_secs(3)));
    let closed = politeness
        .check_robots(&url("https://shop.test/admin/users"), &fetcher)
        .await
        .unwrap();
    assert!(!closed.allowed);
    assert_eq!(fetcher.calls(), 1);
}
