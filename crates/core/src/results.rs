//! What a job keeps of each page it fetched, for the results download
//! (`GET /v1/crawls/{id}/results`) and for deciding which pages a continuation fetches
//! again.

use serde::{Deserialize, Serialize};

/// One page of a job as the results download lists it, successful or not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageResult {
    /// The URL as it was queued (normalised).
    pub url: String,
    /// `finished` or `failed`.
    pub status: String,
    /// The HTTP status of the last response, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_code: Option<u16>,
    pub depth: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub final_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_reason: Option<String>,
    /// The body in the job's output format, when it is text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// The body as base64, when it is binary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base64_encoded_body: Option<String>,
}

impl PageResult {
    pub fn failed(&self) -> bool {
        self.status != "finished"
    }

    /// A page fetched fine that holds nothing: what WebScraper.io calls an empty page,
    /// fetched again by a continuation.
    pub fn is_empty(&self) -> bool {
        !self.failed()
            && self.body.as_deref().is_none_or(|b| b.trim().is_empty())
            && self
                .base64_encoded_body
                .as_deref()
                .is_none_or(str::is_empty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(status: &str, body: Option<&str>) -> PageResult {
        PageResult {
            url: "http://a/".into(),
            status: status.into(),
            status_code: Some(200),
            depth: 0,
            final_url: None,
            fail_reason: None,
            body: body.map(String::from),
            base64_encoded_body: None,
        }
    }

    #[test]
    fn empty_means_fetched_fine_with_nothing_in_it() {
        assert!(result("finished", None).is_empty());
        assert!(result("finished", Some("  \n")).is_empty());
        assert!(!result("finished", Some("<p>x</p>")).is_empty());
        assert!(!result("failed", None).is_empty());
        assert!(result("failed", None).failed());
    }
}
