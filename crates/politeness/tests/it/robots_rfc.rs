//! robots.txt rules through [`Robots`] over the in-memory store: the RFC 9309 examples,
//! group selection, wildcards, Crawl-delay and status classes.

use std::time::Duration;

use crawler_politeness::RobotsResponse;

use crate::common::{robots, url, FakeFetcher};

/// RFC 9309 section 5.1, verbatim.
const RFC_EXAMPLE: &str = "\
User-Agent: *
Disallow: *.gif$
Disallow: /example/
Allow: /publications/

User-Agent: foobot
Disallow:/
Allow:/example/page.html
Allow:/example/allowed.gif

User-Agent: barbot
User-Agent: bazbot
Disallow: /example/page.html

User-Agent: quxbot

EOF
";

/// Which of `paths` on a host serving `body` are allowed for `token`.
async fn allowed(token: &str, body: &str, paths: &[&str]) -> Vec<bool> {
    let fetcher = FakeFetcher::new();
    fetcher.serve("http://site.test/robots.txt", 200, body);
    let rules = robots(token)
        .rules_for(&url("http://site.test/"), &fetcher)
        .await
        .unwrap();
    paths
        .iter()
        .map(|path| rules.is_allowed(&url(&format!("http://site.test{path}"))))
        .collect()
}

#[tokio::test]
async fn rfc_example_groups_by_product_token() {
    let paths = [
        "/example/page.html",
        "/example/allowed.gif",
        "/example/other",
        "/image.gif",
        "/publications/paper",
        "/elsewhere",
    ];
    // Our token's group wins; matching ignores case.
    for token in ["foobot", "FooBot"] {
        let verdicts = allowed(token, RFC_EXAMPLE, &paths).await;
        assert_eq!(
            verdicts,
            [true, true, false, false, false, false],
            "{token}"
        );
    }
    // Two agents may share one group.
    for token in ["barbot", "bazbot"] {
        let verdicts = allowed(token, RFC_EXAMPLE, &paths).await;
        assert_eq!(verdicts, [false, true, true, true, true, true], "{token}");
    }
    // A group without rules allows everything.
    let verdicts = allowed("quxbot", RFC_EXAMPLE, &paths).await;
    assert_eq!(verdicts, [true; 6]);
    // Any other agent falls back to `*`.
    let verdicts = allowed("crawler", RFC_EXAMPLE, &paths).await;
    assert_eq!(verdicts, [false, false, false, false, true, true]);
}

#[tokio::test]
async fn longest_match_wins_and_allow_wins_ties() {
    // RFC 9309 section 5.2, plus an exact tie and a longer allow inside a disallow.
    let body =
        "User-Agent: crawler\nAllow: /example/page/\nDisallow: /example/page/disallowed.gif\n\
                Allow: /tie\nDisallow: /tie\nDisallow: /deep\nAllow: /deep/er\n";
    let paths = [
        "/example/page/",
        "/example/page/ok.html",
        "/example/page/disallowed.gif",
        "/tie",
        "/deep/x",
        "/deep/er/x",
    ];
    let verdicts = allowed("crawler", body, &paths).await;
    assert_eq!(verdicts, [true, true, false, true, false, true]);
}

#[tokio::test]
async fn wildcards_and_end_anchors_match() {
    let body = "User-agent: *\nDisallow: /*.php$\nDisallow: /private*/data\nDisallow: /q?*id=\n";
    let paths = [
        "/index.php",
        "/a/b.php",
        "/index.php?x=1",
        "/index.phps",
        "/private-x/data",
        "/private/other",
        "/q?a=1&id=2",
        "/q?a=1",
        "/robots.txt",
    ];
    let verdicts = allowed("crawler", body, &paths).await;
    assert_eq!(
        verdicts,
        [false, false, true, true, false, true, false, true, true]
    );
}

#[tokio::test]
async fn fragments_are_not_matched() {
    let body = "User-agent: *\nDisallow: /*.html$\n";
    assert_eq!(allowed("crawler", body, &["/a.html#top"]).await, [false]);
}

#[tokio::test]
async fn crawl_delay_of_our_group_is_exposed() {
    let body = "User-agent: other\nCrawl-delay: 9\n\nUser-agent: crawler\nCrawl-delay: 2.5\nDisallow: /x\n";
    let fetcher = FakeFetcher::new();
    fetcher.serve("http://site.test/robots.txt", 200, body);
    let rules = robots("crawler")
        .rules_for(&url("http://site.test/"), &fetcher)
        .await
        .unwrap();
    assert_eq!(rules.crawl_delay(), Some(Duration::from_millis(2500)));

    let fetcher = FakeFetcher::new();
    fetcher.serve(
        "http://site.test/robots.txt",
        200,
        "User-agent: *\nDisallow: /x\n",
    );
    let rules = robots("crawler")
        .rules_for(&url("http://site.test/"), &fetcher)
        .await
        .unwrap();
    assert_eq!(rules.crawl_delay(), None);
}

fn status(code: u16, body: &str) -> RobotsResponse {
    RobotsResponse::Status {
        code,
        body: body.as_bytes().to_vec(),
    }
}

#[tokio::test]
async fn status_classes_decide_whatever_the_body() {
    let disallow_all = "User-agent: *\nDisallow: /\n";
    let cases = [
        (status(404, disallow_all), true),
        (status(403, disallow_all), true),
        (status(410, ""), true),
        (status(500, disallow_all), false),
        (status(503, ""), false),
        (status(429, ""), false),
        (RobotsResponse::Unreachable, false),
        (status(200, disallow_all), false),
        (status(200, ""), true),
    ];
    for (response, expected) in cases {
        let fetcher = FakeFetcher::new();
        fetcher.answer("http://site.test/robots.txt", response.clone());
        let page = url("http://site.test/page");
        let rules = robots("crawler").rules_for(&page, &fetcher).await.unwrap();
        assert_eq!(rules.is_allowed(&page), expected, "{response:?}");
    }
}
