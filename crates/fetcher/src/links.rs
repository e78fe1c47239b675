//! Link extraction: the URLs a page links to, resolved, normalised and deduplicated.
//!
//! Links come from `<a href>` and `<area href>`, resolved against the document's base
//! URL: the first `<base href>` (itself resolved against the page's URL) or the page's
//! URL. The base applies to the whole document, including links that come before the
//! `<base>` element, so raw hrefs are collected first and resolved at the end.
//!
//! [`extract_links`] streams the page through lol_html without building a tree; it is
//! the one the worker uses. [`extract_links_dom`] parses a full DOM with `scraper` and
//! exists to check the streaming extractor against a spec-complete parser and to
//! measure the difference (`benches/links.rs`).

mod dom;
mod entities;

use std::collections::HashSet;

use crawler_core::urlnorm::{resolve_link, DEFAULT_MAX_URL_LEN};
use lol_html::html_content::Element;
use lol_html::{element, AsciiCompatibleEncoding, HtmlRewriter, Settings};
use url::Url;

use crate::fetch::FetchedPage;

pub use dom::extract_links_dom;

/// How links are chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkOptions {
    /// Follow `rel=nofollow` links too.
    pub follow_nofollow: bool,
    /// Longer URLs are dropped (link traps grow their URLs without end).
    pub max_url_len: usize,
}

impl Default for LinkOptions {
    fn default() -> Self {
        Self {
            follow_nofollow: false,
            max_url_len: DEFAULT_MAX_URL_LEN,
        }
    }
}

/// A link as found in the document, before resolution.
#[derive(Debug)]
struct RawLink {
    href: String,
    nofollow: bool,
}

/// The distinct links of a fetched page, in the order first seen, resolved against its
/// final URL; the Content-Type's charset says how to read non-ASCII hrefs.
pub fn extract_page_links(page: &FetchedPage, options: &LinkOptions) -> Vec<Url> {
    extract_with_content_type(
        &page.body,
        &page.final_url,
        page.content_type.as_deref(),
        options,
    )
}

/// The distinct links of `html`, in the order first seen, resolved and normalised. The
/// charset comes from a byte order mark or a `<meta>` declaration, else UTF-8.
/// Never fails: malformed HTML and bytes invalid in the page's charset yield whatever
/// links can still be read.
pub fn extract_links(html: &[u8], page_url: &Url, options: &LinkOptions) -> Vec<Url> {
    extract_with_content_type(html, page_url, None, options)
}

fn extract_with_content_type(
    html: &[u8],
    page_url: &Url,
    content_type: Option<&str>,
    options: &LinkOptions,
) -> Vec<Url> {
    let encoding = crate::decode::sniff_encoding(html, content_type);
    match AsciiCompatibleEncoding::new(encoding) {
        Some(encoding) => stream_links(html, encoding, page_url, options),
        // UTF-16 pages cannot be tokenised as bytes; decode them to UTF-8 first.
        None => {
            let text = crate::decode::decode_text(html, content_type);
            stream_links(
                text.as_bytes(),
                AsciiCompatibleEncoding::utf_8(),
                page_url,
                options,
            )
        }
    }
}

fn stream_links(
    html: &[u8],
    encoding: AsciiCompatibleEncoding,
    page_url: &Url,
    options: &LinkOptions,
) -> Vec<Url> {
    let mut base_href: Option<String> = None;
    let mut raw_links: Vec<RawLink> = Vec::new();
    let settings = Settings::new()
        .with_encoding(encoding)
        // Ambiguous markup (rare, such as a `<script>` inside `<select>`) must not stop
        // extraction; a strict rewriter would bail out there.
        .with_strict(false)
        .append_element_content_handler(element!("base[href]", |el: &mut Element| {
            if base_href.is_none() {
                base_href = el.get_attribute("href");
            }
            Ok(())
        }))
        .append_element_content_handler(element!("a[href], area[href]", |el: &mut Element| {
            if let Some(href) = el.get_attribute("href") {
                let nofollow = el
                    .get_attribute("rel")
                    .is_some_and(|rel| has_nofollow(&entities::decode_attribute(&rel)));
                raw_links.push(RawLink { href, nofollow });
            }
            Ok(())
        }));
    let mut rewriter = HtmlRewriter::new(settings, |_: &[u8]| {});
    // The only errors are memory limits and handler errors, neither of which is set up
    // here; should one happen anyway, the links found until then are still good.
    let written = rewriter.write(html);
    if written.is_ok() {
        let _ = rewriter.end();
    } else {
        drop(rewriter);
    }
    let base_href = base_href.map(|b| entities::decode_attribute(&b));
    let links = raw_links.into_iter().map(|l| RawLink {
        href: entities::decode_attribute(&l.href),
        ..l
    });
    resolve_all(page_url, base_href.as_deref(), links, options)
}

/// Resolves raw hrefs against the document's base URL, drops the ones not followed,
/// and removes duplicates keeping the first.
fn resolve_all(
    page_url: &Url,
    base_href: Option<&str>,
    links: impl Iterator<Item = RawLink>,
    options: &LinkOptions,
) -> Vec<Url> {
    let base = base_href
        .and_then(|href| page_url.join(href.trim()).ok())
        .unwrap_or_else(|| page_url.clone());
    let mut seen = HashSet::new();
    links
        .filter(|link| options.follow_nofollow || !link.nofollow)
        .filter_map(|link| resolve_link(&base, &link.href, options.max_url_len))
        .filter(|url| seen.insert(url.as_str().to_string()))
        .collect()
}

/// `rel` is a set of space-separated, case-insensitive tokens.
fn has_nofollow(rel: &str) -> bool {
    rel.split_ascii_whitespace()
        .any(|token| token.eq_ignore_ascii_case("nofollow"))
}
