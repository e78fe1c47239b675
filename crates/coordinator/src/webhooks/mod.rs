//! Named webhook endpoints as a resource of the caller's tenant (project and
//! environment): create, list, read, change, delete, enable, and send a test event. The
//! routes (`crate::handlers::webhooks`) authenticate the caller; everything here is scoped
//! to the caller's tenant, so another tenant's endpoint answers 404 exactly like a missing
//! one.
//!
//! | route                               | operation                |
//! |-------------------------------------|--------------------------|
//! | `POST /v1/webhooks`                 | [`WebhookApi::create`]   |
//! | `GET /v1/webhooks`                  | [`WebhookApi::list`]     |
//! | `GET /v1/webhooks/{name}`           | [`WebhookApi::get`]      |
//! | `PATCH /v1/webhooks/{name}`         | [`WebhookApi::update`]   |
//! | `DELETE /v1/webhooks/{name}`        | [`WebhookApi::delete`]   |
//! | `POST /v1/webhooks/{name}/enable`   | [`WebhookApi::enable`]   |
//! | `POST /v1/webhooks/{name}/test`     | [`WebhookApi::test`]     |

mod view;

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use crawler_core::time::now_ms;
use crawler_core::{EventKind, PayloadMode, Tenant};
use crawler_deliveries::endpoints::{Endpoint, EndpointStore, DEFAULT_PROFILE};
use crawler_deliveries::{EndpointKey, HealthStore};
use crawler_dispatcher::client::WebhookClient;
use crawler_dispatcher::test_event;

use crate::error::ApiError;
use crate::validate::endpoint::EndpointFields;
use crate::validate::generate_secret;

pub use view::{EndpointView, HealthView, TestView};

/// The endpoint operations, over the endpoint store and the delivery store's health.
#[derive(Clone)]
pub struct WebhookApi {
    pub endpoints: Arc<dyn EndpointStore>,
    pub health: Arc<dyn HealthStore>,
}

impl WebhookApi {
    /// Stores a new endpoint; its secret is generated when the request brings none, and
    /// shown in this answer only.
    pub async fn create(
        &self,
        tenant: &Tenant,
        fields: EndpointFields,
    ) -> Result<EndpointView, ApiError> {
        let name = fields
            .name
            .ok_or_else(|| ApiError::bad_request("name", "name is required"))?;
        let url = fields
            .url
            .ok_or_else(|| ApiError::bad_request("url", "url is required"))?;
        let endpoint = Endpoint {
            tenant: tenant.clone(),
            name: Some(name.clone()),
            url,
            secret: fields.secret.unwrap_or_else(generate_secret),
            profile: fields
                .profile
                .unwrap_or_else(|| DEFAULT_PROFILE.to_string()),
            events: fields.events.unwrap_or_else(EventKind::defaults),
            headers: fields.headers.unwrap_or_default(),
            payload: PayloadMode::Full,
            retry_schedule_ms: fields.retry_schedule_ms.flatten(),
            timeout_ms: fields.timeout_ms.flatten(),
            content_type: fields.content_type.flatten(),
            content_encoding: fields.content_encoding.flatten(),
            created_at_ms: now_ms(),
        };
        if !self.endpoints.create(&endpoint).await? {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                Some("name"),
                format!(
                    "a webhook named `{name}` already exists in project `{}` environment `{}`",
                    tenant.project, tenant.env
                ),
            ));
        }
        // A name used before (and deleted) starts with a clean health.
        self.health.forget_endpoint(&endpoint.key()).await?;
        let mut view = EndpointView::of(&endpoint, Default::default());
        view.secret = Some(endpoint.secret);
        Ok(view)
    }

    pub async fn list(&self, tenant: &Tenant) -> Result<Vec<EndpointView>, ApiError> {
        let mut views = Vec::new();
        for endpoint in self.endpoints.list(tenant).await? {
            let health = self.health.endpoint_health(&endpoint.key()).await?;
            views.push(EndpointView::of(&endpoint, health));
        }
        Ok(views)
    }

    pub async fn get(&self, tenant: &Tenant, name: &str) -> Result<EndpointView, ApiError> {
        let endpoint = self.find(tenant, name).await?;
        let health = self.health.endpoint_health(&endpoint.key()).await?;
        Ok(EndpointView::of(&endpoint, health))
    }

    /// Changes the fields the request set; the name cannot change.
    pub async fn update(
        &self,
        tenant: &Tenant,
        name: &str,
        fields: EndpointFields,
    ) -> Result<EndpointView, ApiError> {
        if fields.name.as_deref().is_some_and(|n| n != name) {
            return Err(ApiError::bad_request(
                "name",
                "a webhook cannot be renamed; create one under the new name",
            ));
        }
        let mut endpoint = self.find(tenant, name).await?;
        apply(&mut endpoint, fields);
        if !self.endpoints.replace(&endpoint).await? {
            return Err(not_found(name));
        }
        let health = self.health.endpoint_health(&endpoint.key()).await?;
        Ok(EndpointView::of(&endpoint, health))
    }

    pub async fn delete(&self, tenant: &Tenant, name: &str) -> Result<(), ApiError> {
        if !self.endpoints.delete(tenant, name).await? {
            return Err(not_found(name));
        }
        self.health
            .forget_endpoint(&EndpointKey::named(tenant, name))
            .await?;
        Ok(())
    }

    /// Turns a disabled endpoint back on with a clean failure count. Answers whether it
    /// was disabled, and the endpoint as it is now.
    pub async fn enable(
        &self,
        tenant: &Tenant,
        name: &str,
    ) -> Result<(bool, EndpointView), ApiError> {
        let endpoint = self.find(tenant, name).await?;
        let was_disabled = self.health.reenable_endpoint(&endpoint.key()).await?;
        let health = self.health.endpoint_health(&endpoint.key()).await?;
        Ok((was_disabled, EndpointView::of(&endpoint, health)))
    }

    /// Sends a signed `webhook.test` event to the endpoint and answers with the attempt.
    pub async fn test(
        &self,
        tenant: &Tenant,
        name: &str,
        timeout: Duration,
        allow_private: bool,
    ) -> Result<TestView, ApiError> {
        let endpoint = self.find(tenant, name).await?;
        let health = self.health.endpoint_health(&endpoint.key()).await?;
        let client =
            WebhookClient::new(timeout, allow_private).map_err(|e| ApiError::internal(&e))?;
        let sent = test_event::send_test(&client, &endpoint, health.consecutive_failures).await;
        Ok(TestView::of(name, sent))
    }

    async fn find(&self, tenant: &Tenant, name: &str) -> Result<Endpoint, ApiError> {
        self.endpoints
            .get(tenant, name)
            .await?
            .ok_or_else(|| not_found(name))
    }
}

/// Refuses a job's `webhook_name` that the tenant has no endpoint of: a 400 naming the
/// field, which says nothing about other tenants' endpoints.
pub async fn require_named(
    endpoints: &dyn EndpointStore,
    tenant: &Tenant,
    name: &str,
) -> Result<(), ApiError> {
    match endpoints.get(tenant, name).await? {
        Some(_) => Ok(()),
        None => Err(ApiError::bad_request(
            "webhook_name",
            format!(
                "no webhook named `{name}` in project `{}` environment `{}` (webhooks belong to the API key's project and environment)",
                tenant.project, tenant.env
            ),
        )),
    }
}

fn not_found(name: &str) -> ApiError {
    ApiError::not_found(format!("no webhook named `{name}`"))
}

/// Sets what the request set; an explicit `null` puts a setting back to its default.
fn apply(endpoint: &mut Endpoint, fields: EndpointFields) {
    let EndpointFields {
        name: _,
        url,
        secret,
        profile,
        events,
        headers,
        retry_schedule_ms,
        timeout_ms,
        content_type,
        content_encoding,
    } = fields;
    if let Some(url) = url {
        endpoint.url = url;
    }
    if let Some(secret) = secret {
        endpoint.secret = secret;
    }
    if let Some(profile) = profile {
        endpoint.profile = profile;
    }
    if let Some(events) = events {
        endpoint.events = events;
    }
    if let Some(headers) = headers {
        endpoint.headers = headers;
    }
    if let Some(schedule) = retry_schedule_ms {
        endpoint.retry_schedule_ms = schedule;
    }
    if let Some(timeout) = timeout_ms {
        endpoint.timeout_ms = timeout;
    }
    if let Some(content_type) = content_type {
        endpoint.content_type = content_type;
    }
    if let Some(content_encoding) = content_encoding {
        endpoint.content_encoding = content_encoding;
    }
}
