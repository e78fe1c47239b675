//! Page bodies left out of webhooks: what is stored, and the link the coordinator serves
//! it under. The delivery pipeline's shape step decides when a body is left out.

use crawler_core::JobId;
pub use crawler_deliveries::StoredBody;

/// The link the coordinator serves a stored body under.
pub fn body_url(public_base: &str, job: JobId, page_url: &str) -> String {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("url", page_url)
        .finish();
    format!(
        "{}/v1/crawls/{job}/pages?{query}",
        public_base.trim_end_matches('/')
    )
}
