//! Showing URLs in logs and error messages without their secrets: the one place that
//! decides what of a broker, Redis, proxy or webhook URL may be shown.

use url::Url;

/// Stands in for a query string, which for a webhook is often a token.
const HIDDEN_QUERY: &str = "redacted";

/// The URL without its password, query string or fragment:
/// `amqp://crawler:s3cret@mq:5672/%2f` becomes `amqp://crawler@mq:5672/%2f`, and
/// `https://hooks.example/in?token=t` becomes `https://hooks.example/in?redacted`. A text
/// that is not a URL is not shown at all, as there is no telling where a secret sits in it.
pub fn redacted_url(raw: &str) -> String {
    let Ok(mut url) = Url::parse(raw) else {
        return "(unparseable URL)".to_string();
    };
    // Fails only for URLs that cannot have a password, which then have none to hide.
    let _ = url.set_password(None);
    if url.query().is_some() {
        url.set_query(Some(HIDDEN_QUERY));
    }
    url.set_fragment(None);
    url.to_string()
}

#[cfg(test)]
mod tests {
    use super::redacted_url;

    #[test]
    fn passwords_are_left_out_and_users_kept() {
        assert_eq!(
            redacted_url("amqp://crawler:s3cret@mq.internal:5672/%2f"),
            "amqp://crawler@mq.internal:5672/%2f"
        );
        assert_eq!(
            redacted_url("redis://:s3cret@127.0.0.1:6379/0"),
            "redis://127.0.0.1:6379/0"
        );
        assert_eq!(
            redacted_url("http://user:p%40ss@proxy.internal:3128"),
            "http://user@proxy.internal:3128/"
        );
        assert_eq!(redacted_url("amqp://guest@host"), "amqp://guest@host");
        assert_eq!(
            redacted_url("amqp://127.0.0.1:5672/%2f"),
            "amqp://127.0.0.1:5672/%2f"
        );
    }

    #[test]
    fn query_strings_and_fragments_are_hidden() {
        assert_eq!(
            redacted_url("https://hooks.example/in?token=t0ps3cret&x=1#frag"),
            "https://hooks.example/in?redacted"
        );
        assert_eq!(
            redacted_url("https://hooks.example/in"),
            "https://hooks.example/in"
        );
    }

    #[test]
    fn what_is_not_a_url_is_not_shown() {
        assert_eq!(redacted_url("s3cret not a url"), "(unparseable URL)");
    }
}
