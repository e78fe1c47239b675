//! The webhook endpoint routes (`/v1/webhooks`): parse, authenticate, and hand over to
//! [`crate::webhooks::WebhookApi`], which scopes everything to the caller's tenant.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::app::AppState;
use crate::error::ApiError;
use crate::validate::endpoint::{endpoint_fields, EndpointFields};
use crate::webhooks::WebhookApi;

type Shared = State<Arc<AppState>>;
type Params = Query<HashMap<String, String>>;

fn operations(app: &AppState) -> WebhookApi {
    WebhookApi {
        endpoints: app.services.endpoints.clone(),
        health: app.services.deliveries.clone(),
    }
}

/// The request body as endpoint fields, or the 400 naming the field at fault.
fn fields(body: &Bytes) -> Result<EndpointFields, ApiError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request("body", format!("the request body is not valid JSON: {e}"))
    })?;
    endpoint_fields(&value)
}

pub async fn create(
    State(app): Shared,
    headers: HeaderMap,
    Query(query): Params,
    body: Bytes,
) -> Result<Response, ApiError> {
    let caller = app.caller(&headers, &query)?;
    let fields = fields(&body)?;
    // The old inline re-enable route has this path; a webhook of that name could not be read.
    if fields.name.as_deref() == Some("reenable") {
        return Err(ApiError::bad_request(
            "name",
            "the name `reenable` is reserved",
        ));
    }
    let created = operations(&app).create(&caller.tenant, fields).await?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

pub async fn list(
    State(app): Shared,
    headers: HeaderMap,
    Query(query): Params,
) -> Result<Response, ApiError> {
    let caller = app.caller(&headers, &query)?;
    let webhooks = operations(&app).list(&caller.tenant).await?;
    Ok(Json(json!({"webhooks": webhooks})).into_response())
}

pub async fn get(
    State(app): Shared,
    Path(name): Path<String>,
    headers: HeaderMap,
    Query(query): Params,
) -> Result<Response, ApiError> {
    let caller = app.caller(&headers, &query)?;
    Ok(Json(operations(&app).get(&caller.tenant, &name).await?).into_response())
}

pub async fn update(
    State(app): Shared,
    Path(name): Path<String>,
    headers: HeaderMap,
    Query(query): Params,
    body: Bytes,
) -> Result<Response, ApiError> {
    let caller = app.caller(&headers, &query)?;
    let fields = fields(&body)?;
    let updated = operations(&app)
        .update(&caller.tenant, &name, fields)
        .await?;
    Ok(Json(updated).into_response())
}

pub async fn delete(
    State(app): Shared,
    Path(name): Path<String>,
    headers: HeaderMap,
    Query(query): Params,
) -> Result<Response, ApiError> {
    let caller = app.caller(&headers, &query)?;
    operations(&app).delete(&caller.tenant, &name).await?;
    Ok(Json(json!({"name": name, "deleted": true})).into_response())
}

pub async fn enable(
    State(app): Shared,
    Path(name): Path<String>,
    headers: HeaderMap,
    Query(query): Params,
) -> Result<Response, ApiError> {
    let caller = app.caller(&headers, &query)?;
    let (was_disabled, webhook) = operations(&app).enable(&caller.tenant, &name).await?;
    Ok(Json(json!({"wasDisabled": was_disabled, "webhook": webhook})).into_response())
}

pub async fn test(
    State(app): Shared,
    Path(name): Path<String>,
    headers: HeaderMap,
    Query(query): Params,
) -> Result<Response, ApiError> {
    let caller = app.caller(&headers, &query)?;
    let timeout = Duration::from_millis(app.settings.webhook_timeout_ms);
    let allow_private = app.settings.allow_private_networks;
    let sent = operations(&app)
        .test(&caller.tenant, &name, timeout, allow_private)
        .await?;
    Ok(Json(sent).into_response())
}
