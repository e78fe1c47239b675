//! The one line a user reads when nothing could be crawled.

use std::io::Write;

use crawler_core::SummaryEvent;

/// One clear line when nothing could be crawled, so a typo in the URL or a site that is
/// down does not look like an empty site. With no page crawled, no link was followed, so
/// the one failure is the start URL's (as normalised, which is why it is not compared with
/// what the user typed).
pub fn explain_failure(summary: &SummaryEvent) {
    if !summary.completed.is_empty() {
        return;
    }
    if let Some(failed) = summary.failed.first() {
        let _ = writeln!(
            std::io::stderr(),
            "error: could not crawl the start URL {}: {}",
            failed.url,
            readable_reason(&failed.fail_reason)
        );
    }
}

/// A `failReason` code in words, with the likely remedy where there is one.
fn readable_reason(code: &str) -> String {
    let text = match code {
        "connection_refused" => "connection refused; is the site up?",
        "dns_error" => "the host name does not resolve; is it spelled right?",
        "timeout" => "the site did not answer in time",
        "tls_error" => "the TLS handshake failed (certificate or protocol)",
        "connection_error" => "the connection failed",
        "blocked_address" => "the address is private and allow_private_networks is off",
        "too_many_redirects" | "redirect_loop" => "it redirects without end",
        "robots_disallowed" => "the site's robots.txt does not allow it",
        other => match other.strip_prefix("http_") {
            Some(status) => return format!("the site answered HTTP {status}"),
            None => other,
        },
    };
    text.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_read_as_words() {
        assert_eq!(
            readable_reason("connection_refused"),
            "connection refused; is the site up?"
        );
        assert_eq!(readable_reason("http_503"), "the site answered HTTP 503");
        assert_eq!(readable_reason("something_new"), "something_new");
    }
}
