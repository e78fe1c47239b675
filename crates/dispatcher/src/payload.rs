//! Page bodies left out of webhooks: what is stored, and the link the coordinator serves
//! it under. The delivery pipeline's shape step decides when a body is left out.

use crawler_core::JobId;
use serde::{Deserialize, Serialize};

/// A page body kept for the coordinator to serve.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredBody {
    pub url: String,
    /// The page's `content-type`, served back with the body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// The body as text, when it was text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// The body as base64, when it was binary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base64_encoded_body: Option<String>,
}

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
