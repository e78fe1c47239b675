//! The same extraction over a full DOM, for comparison and benchmarking only.

use scraper::{Html, Selector};
use url::Url;

use super::{has_nofollow, resolve_all, LinkOptions, RawLink};

/// [`super::extract_links`] built on `scraper` (html5ever): decodes the whole page,
/// builds its tree, then selects. Returns the same links.
pub fn extract_links_dom(html: &[u8], page_url: &Url, options: &LinkOptions) -> Vec<Url> {
    let text = crate::decode::decode_text(html, None);
    let document = Html::parse_document(&text);
    let (Ok(base_selector), Ok(link_selector)) = (
        Selector::parse("base[href]"),
        Selector::parse("a[href], area[href]"),
    ) else {
        return Vec::new();
    };
    let base_href = document
        .select(&base_selector)
        .find_map(|el| el.value().attr("href"));
    let links = document.select(&link_selector).filter_map(|el| {
        let element = el.value();
        Some(RawLink {
            href: element.attr("href")?.to_string(),
            nofollow: element.attr("rel").is_some_and(has_nofollow),
        })
    });
    resolve_all(page_url, base_href, links, options)
}
