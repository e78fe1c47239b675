//! The delivery routes (failed deliveries, replay, endpoint re-enabling, stored bodies)
//! come from the dispatcher's library; this module lets them in only for callers the
//! coordinator authenticates, and only for their own jobs.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use crawler_core::JobId;
use crawler_dispatcher::api::AccessGuard;

use crate::app::AppState;
use crate::auth::{self, Caller};
use crate::error::ApiError;

pub(crate) struct CoordinatorAccess(pub Arc<AppState>);

impl CoordinatorAccess {
    fn caller(
        &self,
        headers: &HeaderMap,
        query: &HashMap<String, String>,
    ) -> Result<Caller, ApiError> {
        let app = &self.0;
        auth::authenticate(
            &app.auth,
            &app.settings.api_keys,
            auth::key_from_parts(headers, query),
        )
    }
}

#[async_trait]
impl AccessGuard for CoordinatorAccess {
    async fn job_access(
        &self,
        headers: &HeaderMap,
        query: &HashMap<String, String>,
        job: JobId,
    ) -> Result<(), Response> {
        let caller = self
            .caller(headers, query)
            .map_err(IntoResponse::into_response)?;
        match self.0.backends.state.job(job).await {
            Ok(Some(record)) if record.owner == caller.owner => Ok(()),
            Ok(_) => Err(ApiError::not_found("no such job").into_response()),
            Err(e) => Err(ApiError::from(e).into_response()),
        }
    }

    async fn endpoint_access(
        &self,
        headers: &HeaderMap,
        query: &HashMap<String, String>,
    ) -> Result<(), Response> {
        self.caller(headers, query)
            .map(|_| ())
            .map_err(IntoResponse::into_response)
    }
}
