//! The body of `POST /v1/jobs` and `POST /v1/batchjobs`, as ScraperAPI's Async API clients
//! send it (camelCase). Like [`crate::request::CrawlRequest`], every field is kept as raw
//! JSON and typed by [`super::validate`], so that a wrong type is answered with a 400
//! naming the field. A field this API does not know is a 400 naming it
//! ([`crate::validate::strict`]); an explicit `null` reads as an absent field.

use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AsyncRequest {
    /// The one URL of `POST /v1/jobs`.
    pub url: Option<Value>,
    /// The URLs of `POST /v1/batchjobs`.
    pub urls: Option<Value>,
    pub method: Option<Value>,
    pub body: Option<Value>,
    pub headers: Option<Value>,
    pub callback: Option<Value>,
    /// A stored endpoint of the caller's project and environment, instead of `callback`.
    #[serde(alias = "webhookName")]
    pub webhook_name: Option<Value>,
    #[serde(rename = "expectUnsuccessReport")]
    pub expect_unsuccess_report: Option<Value>,
    /// The spelling some of ScraperAPI's own examples use.
    #[serde(rename = "expectsUnsuccessReport")]
    pub expects_unsuccess_report: Option<Value>,
    #[serde(rename = "timeoutSec")]
    pub timeout_sec: Option<Value>,
    pub meta: Option<Value>,
    #[serde(rename = "apiParams")]
    pub api_params: Option<Value>,
    /// The API key; `api_key` is the crawl API's spelling of it.
    #[serde(rename = "apiKey", alias = "api_key")]
    pub api_key: Option<Value>,
}

impl AsyncRequest {
    pub fn parse(body: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(body)
    }

    /// The API key carried in the body, if any.
    pub fn body_api_key(&self) -> Option<&str> {
        self.api_key.as_ref().and_then(Value::as_str)
    }
}
