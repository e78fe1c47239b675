//! The body of `POST /v1/crawls`, as clients send it.
//!
//! Every field is kept as raw JSON here and typed by [`crate::validate`], so that a wrong
//! type is answered with a 400 naming the field ("max_depth must be a non-negative
//! integer") rather than serde's generic message. Field names are ScraperAPI's; a field
//! this crawler does not know is a 400 naming it ([`crate::validate::strict`]), so that a
//! typo such as `max_dept` is not dropped in silence. An explicit `null` reads as an
//! absent field, as in most JSON APIs.

use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrawlRequest {
    pub start_url: Option<Value>,
    pub url_regexp_include: Option<Value>,
    pub url_regexp_exclude: Option<Value>,
    pub max_depth: Option<Value>,
    pub crawl_budget: Option<Value>,
    pub api_params: Option<Value>,
    pub callback: Option<Value>,
    /// HasData's spelling of a callback (`{url, events, headers}`), `hasdata` profile.
    pub webhook: Option<Value>,
    /// Shown to receivers: WebScraper.io's `sitemap_name` and `custom_id`.
    pub name: Option<Value>,
    pub custom_id: Option<Value>,
    /// A stored endpoint of the caller's project and environment, instead of `callback`.
    pub webhook_name: Option<Value>,
    pub meta: Option<Value>,
    pub timeout_sec: Option<Value>,
    pub scope: Option<Value>,
    pub follow_nofollow: Option<Value>,
    pub ignore_query_parameters: Option<Value>,
    pub respect_robots_txt: Option<Value>,
    pub max_pages_per_host: Option<Value>,
    /// Makes the job a schedule that starts a new crawl at each due time.
    pub schedule: Option<Value>,
    /// Whether a scheduled job's schedule is on (ScraperAPI puts it beside `schedule`).
    pub enabled: Option<Value>,
    /// The API key may travel in the body, under either spelling.
    pub api_key: Option<Value>,
    #[serde(rename = "apiKey")]
    pub api_key_camel: Option<Value>,
}

impl CrawlRequest {
    /// Parses a request body; the error names the position of a JSON syntax error.
    pub fn parse(body: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(body)
    }

    /// The API key carried in the body, if any.
    pub fn body_api_key(&self) -> Option<&str> {
        [&self.api_key, &self.api_key_camel]
            .into_iter()
            .find_map(|v| v.as_ref().and_then(Value::as_str))
    }
}
