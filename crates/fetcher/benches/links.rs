//! Streaming (lol_html) versus DOM (scraper) link extraction on generated pages that look
//! like real ones: a head with scripts and styles, navigation, articles with inline
//! links, a footer. Run with `cargo bench -p crawler-fetcher --bench links`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use crawler_fetcher::links::{extract_links, extract_links_dom, LinkOptions};
use url::Url;

/// A page of about `target_bytes`, with a link every ~150 bytes of body text.
fn generate_page(target_bytes: usize) -> String {
    let mut html = String::from(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>News &amp; views</title>\
         <link rel=\"stylesheet\" href=\"/static/site.css\"><script>window.dataLayer=[];function gtag(){\
         dataLayer.push(arguments)}gtag('js',new Date());var t='<a href=\"/not-a-link\">';</script>\
         <style>body{font:16px/1.5 sans-serif}.nav a{color:#333}</style></head><body><header><nav class=\"nav\"><ul>",
    );
    for i in 0..40 {
        html.push_str(&format!(
            "<li><a href=\"/section/{i}\" class=\"nav-link\">Section {i}</a></li>"
        ));
    }
    html.push_str("</ul></nav></header><main>");
    let mut n = 0;
    while html.len() < target_bytes.saturating_sub(2_000) {
        n += 1;
        html.push_str(&format!(
            "<article id=\"a{n}\"><h2><a href=\"/articles/{n}/a-long-slug-for-the-story?ref=home&amp;pos={n}\">Story {n}</a></h2>\
             <p class=\"lede\">Lorem ipsum dolor sit amet, <a href=\"https://partner{m}.example.org/item/{n}\" rel=\"nofollow\">\
             consectetur</a> adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. \
             <a href=\"../related/{n}#comments\">Comments</a> <img src=\"/img/{n}.jpg\" alt=\"\"></p>\
             <!-- tracking pixel {n} --><div class=\"meta\"><span>By Author {n}</span> <a href=\"//cdn.example.net/share/{n}\">Share</a></div></article>",
            m = n % 7
        ));
    }
    html.push_str("</main><footer>");
    for i in 0..20 {
        html.push_str(&format!("<a href=\"/about/{i}\">About {i}</a> "));
    }
    html.push_str("</footer></body></html>");
    html
}

fn measure(
    name: &str,
    page: &[u8],
    page_url: &Url,
    extract: impl Fn(&[u8], &Url, &LinkOptions) -> Vec<Url>,
) {
    let options = LinkOptions::default();
    let links = extract(page, page_url, &options).len();
    for _ in 0..3 {
        black_box(extract(black_box(page), page_url, &options));
    }
    let budget = Duration::from_secs(2);
    let started = Instant::now();
    let mut iterations = 0u32;
    while started.elapsed() < budget {
        black_box(extract(black_box(page), page_url, &options));
        iterations += 1;
    }
    let per_page = started.elapsed() / iterations;
    let mb_per_s = page.len() as f64 / per_page.as_secs_f64() / 1e6;
    println!(
        "{name:<10} {size:>4} KB  {links:>5} links  {ns:>12} ns/page  {mb_per_s:>8.1} MB/s  ({iterations} runs)",
        size = page.len() / 1024,
        ns = per_page.as_nanos(),
    );
}

fn main() {
    let page_url = Url::parse("https://news.example.com/index.html").expect("a valid URL");
    for size in [20 * 1024, 200 * 1024] {
        let page = generate_page(size);
        measure("lol_html", page.as_bytes(), &page_url, extract_links);
        measure("scraper", page.as_bytes(), &page_url, extract_links_dom);
    }
}
