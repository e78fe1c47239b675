//! Webhook endpoints as a resource: a URL with its secret, profile, event filter and
//! headers, owned by a tenant.
//!
//! A job either names a stored endpoint or carries an inline `callback`; an inline callback
//! is an anonymous endpoint of the same shape ([`Endpoint::inline`]), so the dispatcher
//! handles both alike. Health ([`crate::HealthStore`]) hangs off an endpoint's
//! [`EndpointKey`], which always includes the tenant: the same URL used by two tenants is
//! two endpoints with two healths.
//!
//! Two implementations, chosen by [`connect`]: [`redis::RedisEndpointStore`] and
//! [`memory::MemoryEndpointStore`].

pub mod memory;
pub mod redis;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use crawler_core::{Callback, ContentEncoding, ContentType, EventKind, PayloadMode};
use serde::{Deserialize, Serialize};

use crate::{DeliveryBackend, StoreError};

/// Who owns endpoints: a project and an environment, shared by every API key of them.
/// Defined in `crawler_core`, because a job's spec carries its tenant.
pub use crawler_core::Tenant;

/// Identifies one endpoint of one tenant; what health and delivery records hang off.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EndpointKey(String);

impl EndpointKey {
    /// A stored endpoint, by its name (unique within its tenant). Project and environment
    /// names cannot hold `/`, so the key splits back without ambiguity.
    pub fn named(tenant: &Tenant, name: &str) -> Self {
        EndpointKey(format!("{}/{}/name:{name}", tenant.project, tenant.env))
    }

    /// An inline callback of a job: one anonymous endpoint per tenant and URL.
    pub fn inline(tenant: &Tenant, url: &str) -> Self {
        EndpointKey(format!(
            "{}/{}/inline:{}",
            tenant.project,
            tenant.env,
            crate::url_digest(url)
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EndpointKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The profile an endpoint gets when it names none: the one a callback gets.
pub const DEFAULT_PROFILE: &str = crawler_core::job::STANDARD_PROFILE;

fn default_profile() -> String {
    DEFAULT_PROFILE.to_string()
}

/// A webhook endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Endpoint {
    pub tenant: Tenant,
    /// Unique within the tenant; `None` for a job's inline callback.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub url: String,
    /// Standard Webhooks secret, `whsec_` followed by base64.
    pub secret: String,
    /// Which delivery profile shapes, encodes and signs its requests.
    #[serde(default = "default_profile")]
    pub profile: String,
    pub events: Vec<EventKind>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub payload: PayloadMode,
    /// The body format; `None` keeps the profile's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<ContentType>,
    /// The body's compression; `None` keeps the profile's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_encoding: Option<ContentEncoding>,
    /// The waits before each retry, in milliseconds; `None` keeps the profile's schedule,
    /// or the configured `webhook_retry_schedule`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_schedule_ms: Option<Vec<u64>>,
    /// The time one attempt may take; `None` keeps the profile's, or the configured
    /// `webhook_timeout_ms`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    #[serde(default)]
    pub created_at_ms: u64,
}

impl Endpoint {
    /// The anonymous endpoint a job's inline callback stands for.
    pub fn inline(tenant: Tenant, callback: &Callback) -> Self {
        Endpoint {
            tenant,
            name: None,
            url: callback.url.clone(),
            secret: callback.secret.clone(),
            profile: callback.profile.clone(),
            events: callback.events.clone(),
            headers: callback.headers.clone(),
            payload: callback.payload,
            content_type: callback.content_type,
            content_encoding: callback.content_encoding,
            retry_schedule_ms: None,
            timeout_ms: None,
            created_at_ms: 0,
        }
    }

    pub fn key(&self) -> EndpointKey {
        match &self.name {
            Some(name) => EndpointKey::named(&self.tenant, name),
            None => EndpointKey::inline(&self.tenant, &self.url),
        }
    }

    pub fn wants(&self, kind: EventKind) -> bool {
        self.events.contains(&kind)
    }
}

/// The stored, named endpoints of every tenant.
#[async_trait]
pub trait EndpointStore: Send + Sync + 'static {
    /// Stores a new named endpoint. False when its tenant already has one of that name.
    async fn create(&self, endpoint: &Endpoint) -> Result<bool, StoreError>;

    /// Replaces a named endpoint. False when there is none of that name.
    async fn replace(&self, endpoint: &Endpoint) -> Result<bool, StoreError>;

    async fn get(&self, tenant: &Tenant, name: &str) -> Result<Option<Endpoint>, StoreError>;

    /// The tenant's endpoints, by name.
    async fn list(&self, tenant: &Tenant) -> Result<Vec<Endpoint>, StoreError>;

    /// Removes a named endpoint. Returns whether there was one.
    async fn delete(&self, tenant: &Tenant, name: &str) -> Result<bool, StoreError>;
}

/// The one place that chooses the endpoint store's backend.
pub async fn connect(
    backend: &DeliveryBackend,
    namespace: &str,
) -> Result<Arc<dyn EndpointStore>, StoreError> {
    match backend {
        DeliveryBackend::Memory => Ok(Arc::new(memory::MemoryEndpointStore::default())),
        DeliveryBackend::Redis { url } => Ok(Arc::new(
            redis::RedisEndpointStore::connect(url, namespace).await?,
        )),
    }
}

/// An endpoint must have a name to be stored.
fn name_of(endpoint: &Endpoint) -> Result<&str, StoreError> {
    endpoint
        .name
        .as_deref()
        .ok_or_else(|| StoreError::Backend("only named endpoints are stored".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endpoint_stored_before_encodings_reads_with_its_profile_s() {
        let stored = r#"{"tenant":{"project":"p","env":"live"},"name":"hook","url":"http://a.test/","secret":"whsec_c2VjcmV0","events":["crawl.page"]}"#;
        let endpoint: Endpoint = serde_json::from_str(stored).unwrap();
        assert_eq!(endpoint.profile, DEFAULT_PROFILE);
        assert_eq!(
            (endpoint.content_type, endpoint.content_encoding),
            (None, None)
        );
        let written = serde_json::to_value(&endpoint).unwrap();
        assert!(written.get("content_type").is_none());
    }
}
