//! Link extraction: what a crawl will follow from a page.

use std::collections::BTreeMap;

use bytes::Bytes;
use crawler_fetcher::decode::decode_text;
use crawler_fetcher::fetch::FetchedPage;
use crawler_fetcher::links::{extract_links, extract_links_dom, extract_page_links, LinkOptions};
use url::Url;

const PAGE: &str = "http://example.com/dir/page.html";

fn links_with(html: &[u8], options: &LinkOptions) -> Vec<String> {
    let page = Url::parse(PAGE).unwrap();
    extract_links(html, &page, options)
        .into_iter()
        .map(String::from)
        .collect()
}

fn links(html: &str) -> Vec<String> {
    links_with(html.as_bytes(), &LinkOptions::default())
}

#[test]
fn relative_absolute_and_protocol_relative_links_resolve_against_the_page() {
    let html = r#"<a href="other.html">1</a><a href="/root">2</a><a href="../up">3</a>
        <a href="//cdn.example.org/x">4</a><a href="https://secure.example.com/s?q=1">5</a><a href="?page=2">6</a>"#;
    assert_eq!(
        links(html),
        [
            "http://example.com/dir/other.html",
            "http://example.com/root",
            "http://example.com/up",
            "http://cdn.example.org/x",
            "https://secure.example.com/s?q=1",
            "http://example.com/dir/page.html?page=2",
        ]
    );
}

#[test]
fn the_first_base_href_applies_to_the_whole_document() {
    // The link before <base> resolves against it too; the second <base> is ignored.
    let html = r#"<html><head><a href="early">0</a><base href="/other/dir/"><base href="http://ignored.example/">
        </head><body><a href="late">1</a><a href="/abs">2</a></body></html>"#;
    assert_eq!(
        links(html),
        [
            "http://example.com/other/dir/early",
            "http://example.com/other/dir/late",
            "http://example.com/abs"
        ]
    );
    let cross = r#"<base href="https://mirror.example.net/m/"><a href="a">a</a>"#;
    assert_eq!(links(cross), ["https://mirror.example.net/m/a"]);
    let without_href = r#"<base target="_blank"><a href="a">a</a>"#;
    assert_eq!(links(without_href), ["http://example.com/dir/a"]);
}

#[test]
fn nofollow_links_are_skipped_unless_the_job_follows_them() {
    let html = r#"<a href="/a" rel="nofollow">a</a><a href="/b" rel="external NoFollow">b</a>
        <a href="/c" rel="noopener">c</a><a href="/d" rel="nofollowing">d</a>"#;
    assert_eq!(
        links(html),
        ["http://example.com/c", "http://example.com/d"]
    );
    let follow = LinkOptions {
        follow_nofollow: true,
        ..LinkOptions::default()
    };
    assert_eq!(links_with(html.as_bytes(), &follow).len(), 4);
}

#[test]
fn area_links_count_and_other_elements_do_not() {
    let html = r#"<map><area href="/area" shape="rect"></map><link href="/style.css" rel="stylesheet">
        <img src="/img.png"><script src="/app.js"></script><a name="anchor-without-href">x</a>
        <iframe src="/frame"></iframe>"#;
    assert_eq!(links(html), ["http://example.com/area"]);
}

#[test]
fn fragments_and_default_ports_do_not_make_new_links() {
    let html = r#"<a href="/x#one">1</a><a href="/x#two">2</a><a href="http://EXAMPLE.com:80/x">3</a>
        <a href="/y">4</a><a href="/x">5</a><a href="/./x">6</a>"#;
    assert_eq!(
        links(html),
        ["http://example.com/x", "http://example.com/y"]
    );
}

#[test]
fn script_mail_phone_data_and_fragment_links_are_ignored() {
    let html = r##"<a href="javascript:void(0)">j</a><a href="JavaScript:alert(1)">J</a>
        <a href="mailto:someone@example.com">m</a><a href="tel:+15551234">t</a>
        <a href="data:text/html,hi">d</a><a href="#top">f</a><a href="">e</a><a href="ftp://files.example/">f</a>
        <a href="/kept">k</a>"##;
    assert_eq!(links(html), ["http://example.com/kept"]);
}

#[test]
fn spaces_entities_and_non_ascii_links_are_encoded() {
    let html = "<a href=\"  /a b.html \">1</a><a href=\"/q?x=1&amp;y=2\">2</a>\
        <a href=\"http://b\u{fc}cher.de/\u{fc}ber\">3</a><a href=\"/caf\u{e9}?q=\u{e9}\">4</a>\
        <a href=\"http://EXAMPLE.com/%7Euser\">5</a>";
    assert_eq!(
        links(html),
        [
            "http://example.com/a%20b.html",
            "http://example.com/q?x=1&y=2",
            "http://xn--bcher-kva.de/%C3%BCber",
            "http://example.com/caf%C3%A9?q=%C3%A9",
            "http://example.com/%7Euser",
        ]
    );
}

#[test]
fn links_in_comments_scripts_and_text_are_not_links() {
    let html = r#"<!-- <a href="/commented">c</a> --><script>var s = '<a href="/in-script">s</a>';</script>
        <textarea><a href="/in-textarea">t</a></textarea><title><a href="/in-title"></title>
        <p>see /plain/text/path</p><a href="/real">r</a>"#;
    assert_eq!(links(html), ["http://example.com/real"]);
}

#[test]
fn invalid_utf8_does_not_panic_and_keeps_the_other_links() {
    let html = b"<a href=\"/bad\xff\xfe\">1</a>\xc3<a href=\"/good\">2</a><a href=\"/\x80\">";
    let found = links_with(html, &LinkOptions::default());
    assert_eq!(
        found,
        [
            "http://example.com/bad%EF%BF%BD%EF%BF%BD",
            "http://example.com/good",
            "http://example.com/%EF%BF%BD"
        ]
    );
    // Truncated and unbalanced markup is fine as well.
    assert_eq!(links("<a href=\"/cut"), Vec::<String>::new());
    assert_eq!(
        links("<div><a href=/unquoted>x"),
        ["http://example.com/unquoted"]
    );
}

#[test]
fn windows_1252_pages_are_read_in_their_declared_charset() {
    let html = b"<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1252\">\
        </head><body><p>caf\xe9</p><a href=\"/caf\xe9\">1</a><a href=\"/\x80uro\">2</a></body></html>";
    let expected = [
        "http://example.com/caf%C3%A9",
        "http://example.com/%E2%82%ACuro",
    ];
    assert_eq!(links_with(html, &LinkOptions::default()), expected);
    assert!(decode_text(html, None).contains("<p>caf\u{e9}</p>"));
    let page = Url::parse(PAGE).unwrap();
    let dom: Vec<String> = extract_links_dom(html, &page, &LinkOptions::default())
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(dom, expected);
}

#[test]
fn the_content_type_charset_of_a_fetched_page_is_honoured() {
    let page = FetchedPage {
        final_url: Url::parse(PAGE).unwrap(),
        redirects: Vec::new(),
        status: 200,
        headers: BTreeMap::new(),
        body: Bytes::from_static(b"<a href=\"/na\xefve\">x</a>"),
        content_type: Some("text/html; charset=ISO-8859-1".to_string()),
    };
    let found: Vec<String> = extract_page_links(&page, &LinkOptions::default())
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(found, ["http://example.com/na%C3%AFve"]);
}

#[test]
fn overlong_links_are_dropped() {
    let long = format!(
        "<a href=\"/{}\">x</a><a href=\"/short\">y</a>",
        "a".repeat(300)
    );
    let options = LinkOptions {
        max_url_len: 100,
        ..LinkOptions::default()
    };
    assert_eq!(
        links_with(long.as_bytes(), &options),
        ["http://example.com/short"]
    );
}

/// Pages whose markup a naive extractor gets wrong; the streaming and the DOM
/// extractor must agree on every one, in order.
fn tricky_pages() -> Vec<Vec<u8>> {
    let mut pages: Vec<Vec<u8>> = [
        r#"<!DOCTYPE html><HTML><BODY><A HREF="/Upper">u</A><a hReF=/mixed>m</a></BODY></HTML>"#,
        r#"<a href="one">1</a><base href="/based/"><a href="two">2</a><base href="/ignored/">"#,
        r#"<a href='/single' rel='NOFOLLOW'>s</a><a href=/bare rel=external>b</a><a href="/x"rel="nofollow">x</a>"#,
        r#"<a href="/q?a=1&amp;b=2&copy=3&lt;">q</a><a href="&#x2F;hex&#47;dec">h</a><a href="/e&eacute;">e</a>"#,
        r#"<!-- <a href="/c"> --><script>document.write('<a href="/s">')</script><style>a[href="/css"]{}</style><a href="/after">a</a>"#,
        r#"<table><tr><td><a href="/cell">c</a></td></tr><a href="/misnested">m</a></table>"#,
        r#"<p><a href="/outer">o<a href="/inner">i</a></a></p><area href="/area"><map><area href="/mapped" nohref></map>"#,
        r##"<a href="#frag">f</a><a href="/dup#a">d</a><a href="/dup#b">d</a><a href="http://example.com:80/dup">d</a>"##,
        r#"<a href="javascript:x()">j</a><a href="mailto:a@b">m</a><a href="  /padded  ">p</a><a href="/tab	bed">t</a>"#,
        r#"<svg><a href="/svg-link"><text>s</text></a></svg><math><mi>x</mi></math><a href="/after-svg">a</a>"#,
        r#"<textarea><a href="/ta"></textarea><title><a href="/ti"></title><xmp><a href="/xmp"></xmp><a href="/ok">ok</a>"#,
        r#"<a href="//other.example/proto">p</a><a href="HTTPS://Other.Example:443/Case">c</a><a href="/über/straße">u</a>"#,
        r#"<a href="/unterminated"#,
        r#"<noscript><a href="/noscript">n</a></noscript><template><a href="/template">t</a></template>"#,
        r#"<a href="/a" href="/second-attr">twice</a><a rel="nofollow" rel="follow" href="/first-rel-wins">r</a>"#,
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    pages.push(b"<a href=\"/bad\xff\">1</a><a href=\"/fine\">2</a>".to_vec());
    pages.push(b"<meta charset=windows-1252><a href=\"/caf\xe9\">1</a>".to_vec());
    pages.push(b"\xEF\xBB\xBF<a href=\"/after-bom\">1</a>".to_vec());
    pages
}

#[test]
fn streaming_and_dom_extractors_agree_on_tricky_pages() {
    let page = Url::parse(PAGE).unwrap();
    for options in [
        LinkOptions::default(),
        LinkOptions {
            follow_nofollow: true,
            ..LinkOptions::default()
        },
    ] {
        for html in tricky_pages() {
            let streamed = extract_links(&html, &page, &options);
            let dom = extract_links_dom(&html, &page, &options);
            assert_eq!(streamed, dom, "page: {}", String::from_utf8_lossy(&html));
        }
    }
    // Guard against a vacuous comparison: the pages do contain links.
    let total: usize = tricky_pages()
        .iter()
        .map(|html| extract_links(html, &page, &LinkOptions::default()).len())
        .sum();
    assert!(total >= 29, "only {total} links found");
}
