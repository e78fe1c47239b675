//! The redirect policy: which hops are followed.
//!
//! Redirects are followed by [`super::HttpFetcher`] itself rather than by reqwest, for
//! three reasons: whether to follow is chosen per request (`follow_redirects`), a loop
//! and a long chain must be told apart (`redirect_loop` versus `too_many_redirects`), and
//! every hop's host must pass the private-network guard before it is requested.

use std::collections::HashSet;

use reqwest::StatusCode;
use url::Url;

use super::FetchError;

/// The hops of one fetch so far, and the rules the next one must pass.
#[derive(Debug)]
pub struct RedirectChain {
    seen: HashSet<String>,
    hops: Vec<Url>,
    max_redirects: usize,
    allow_private: bool,
}

impl RedirectChain {
    pub fn new(start: &Url, max_redirects: usize, allow_private: bool) -> Self {
        let mut seen = HashSet::new();
        seen.insert(identity(start));
        Self {
            seen,
            hops: Vec::new(),
            max_redirects,
            allow_private,
        }
    }

    /// Resolves a `Location` header against the URL that sent it and checks the hop:
    /// a URL already visited is a loop, a chain longer than the limit fails, a target
    /// that is not http(s) or whose IP-literal host is not public is refused.
    pub fn follow(&mut self, from: &Url, location: &str) -> Result<Url, FetchError> {
        let next = from
            .join(location.trim())
            .map_err(|e| FetchError::InvalidUrl(format!("redirect to `{location}`: {e}")))?;
        if !matches!(next.scheme(), "http" | "https") {
            return Err(FetchError::InvalidUrl(format!(
                "redirect to the {} scheme",
                next.scheme()
            )));
        }
        if !self.seen.insert(identity(&next)) {
            return Err(FetchError::RedirectLoop {
                url: next.to_string(),
            });
        }
        if self.hops.len() >= self.max_redirects {
            return Err(FetchError::TooManyRedirects {
                limit: self.max_redirects,
            });
        }
        crawler_netguard::check_ip_literal(&next, self.allow_private)?;
        self.hops.push(next.clone());
        Ok(next)
    }

    /// The URLs redirected to, in order.
    pub fn into_hops(self) -> Vec<Url> {
        self.hops
    }
}

/// The statuses whose `Location` is followed; others (304, 300) are pages.
pub fn is_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

/// The fragment never reaches the server, so two URLs differing only there are the same
/// request.
fn identity(url: &Url) -> String {
    let mut url = url.clone();
    url.set_fragment(None);
    url.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn relative_locations_resolve_against_the_current_hop() {
        let start = url("http://a.example/x/y");
        let mut chain = RedirectChain::new(&start, 5, false);
        let next = chain.follow(&start, "../z?q=1").unwrap();
        assert_eq!(next.as_str(), "http://a.example/z?q=1");
        let next = chain.follow(&next, "//b.example/w").unwrap();
        assert_eq!(next.as_str(), "http://b.example/w");
        assert_eq!(chain.into_hops().len(), 2);
    }

    #[test]
    fn a_url_seen_twice_is_a_loop() {
        let start = url("http://a.example/1");
        let mut chain = RedirectChain::new(&start, 10, false);
        let two = chain.follow(&start, "/2").unwrap();
        let err = chain.follow(&two, "/1#frag").unwrap_err();
        assert_eq!(err.fail_reason(), "redirect_loop");
    }

    #[test]
    fn the_hop_after_the_limit_fails() {
        let start = url("http://a.example/0");
        let mut chain = RedirectChain::new(&start, 2, false);
        let one = chain.follow(&start, "/1").unwrap();
        let two = chain.follow(&one, "/2").unwrap();
        let err = chain.follow(&two, "/3").unwrap_err();
        assert_eq!(err, FetchError::TooManyRedirects { limit: 2 });
    }

    #[test]
    fn hops_to_private_ip_literals_are_blocked_unless_allowed() {
        let start = url("http://public.example/");
        for target in [
            "http://127.0.0.1:8080/admin",
            "http://[::1]/",
            "http://169.254.169.254/latest/meta-data",
        ] {
            let err = RedirectChain::new(&start, 5, false)
                .follow(&start, target)
                .unwrap_err();
            assert_eq!(err.fail_reason(), "blocked_address", "{target}");
            assert!(RedirectChain::new(&start, 5, true)
                .follow(&start, target)
                .is_ok());
        }
        // Names pass here; the resolver refuses them when the connection is made.
        assert!(RedirectChain::new(&start, 5, false)
            .follow(&start, "http://localhost/")
            .is_ok());
    }

    #[test]
    fn non_http_targets_are_invalid() {
        let start = url("http://a.example/");
        let err = RedirectChain::new(&start, 5, false)
            .follow(&start, "file:///etc/passwd")
            .unwrap_err();
        assert_eq!(err.fail_reason(), "invalid_url");
    }
}
