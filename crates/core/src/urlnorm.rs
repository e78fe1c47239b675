//! URL normalisation: the identity of a page within a job.
//!
//! Two links name the same page when they normalise to the same string: scheme and host
//! lower-cased (IDN hosts in their ASCII form), the default port dropped, dot-segments
//! resolved, the fragment dropped. The `url` crate's WHATWG parser does the first three;
//! this module adds the rest and refuses what a crawler cannot fetch.

use url::Url;

/// URLs longer than this are refused: calendar-style traps grow their URLs without end.
pub const DEFAULT_MAX_URL_LEN: usize = 2048;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("not a valid URL: {0}")]
    Invalid(String),
    #[error("only http and https URLs can be crawled, not {0}")]
    Scheme(String),
    #[error("the URL has no host")]
    NoHost,
    #[error("the URL is longer than {0} characters")]
    TooLong(usize),
}

/// Parses an absolute URL and normalises it.
pub fn normalize(raw: &str) -> Result<Url, UrlError> {
    let url = Url::parse(raw.trim()).map_err(|e| UrlError::Invalid(e.to_string()))?;
    finish(url, DEFAULT_MAX_URL_LEN)
}

/// Resolves a link found on a page against the page's base URL and normalises it.
/// Returns `None` for links a crawler does not follow (`javascript:`, `mailto:`, `tel:`,
/// empty or fragment-only hrefs, unparsable ones).
pub fn resolve_link(base: &Url, href: &str, max_len: usize) -> Option<Url> {
    let href = href.trim();
    if href.is_empty() || href.starts_with('#') {
        return None;
    }
    let joined = base.join(href).ok()?;
    finish(joined, max_len).ok()
}

/// Drops the query string, for jobs with `ignore_query_parameters`.
pub fn without_query(mut url: Url) -> Url {
    url.set_query(None);
    url
}

fn finish(mut url: Url, max_len: usize) -> Result<Url, UrlError> {
    match url.scheme() {
        "http" | "https" => {}
        other => return Err(UrlError::Scheme(other.to_string())),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(UrlError::NoHost);
    }
    url.set_fragment(None);
    if url.username().is_empty() && url.password().is_none() {
        // Nothing to strip.
    } else {
        let _ = url.set_username("");
        let _ = url.set_password(None);
    }
    if url.as_str().len() > max_len {
        return Err(UrlError::TooLong(max_len));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> String {
        normalize(s).unwrap().to_string()
    }

    #[test]
    fn lowercases_scheme_and_host_and_drops_default_port_and_fragment() {
        assert_eq!(
            norm("HTTP://Example.COM:80/a/b#frag"),
            "http://example.com/a/b"
        );
        assert_eq!(norm("https://example.com:443/"), "https://example.com/");
        assert_eq!(
            norm("http://example.com:8080/x"),
            "http://example.com:8080/x"
        );
    }

    #[test]
    fn resolves_dot_segments() {
        assert_eq!(norm("http://a.com/x/./y/../z"), "http://a.com/x/z");
    }

    #[test]
    fn idn_hosts_become_ascii() {
        assert_eq!(norm("http://bücher.de/"), "http://xn--bcher-kva.de/");
    }

    #[test]
    fn links_resolve_against_base() {
        let base = Url::parse("http://a.com/dir/page.html").unwrap();
        let r = |h| resolve_link(&base, h, DEFAULT_MAX_URL_LEN).map(|u| u.to_string());
        assert_eq!(
            r("other.html").as_deref(),
            Some("http://a.com/dir/other.html")
        );
        assert_eq!(r("//b.com/x").as_deref(), Some("http://b.com/x"));
        assert_eq!(r("/a b").as_deref(), Some("http://a.com/a%20b"));
        assert_eq!(r("#top"), None);
        assert_eq!(r("javascript:void(0)"), None);
        assert_eq!(r("mailto:a@b.c"), None);
        assert_eq!(r("tel:123"), None);
    }

    #[test]
    fn refuses_non_http_and_overlong() {
        assert!(matches!(
            normalize("ftp://a.com/"),
            Err(UrlError::Scheme(_))
        ));
        let long = format!("http://a.com/{}", "x".repeat(3000));
        assert!(matches!(normalize(&long), Err(UrlError::TooLong(_))));
    }
}
