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

pub(crate) struct CoordinatorAccess(pub Arc<AppState>);

#[async_trait]
impl AccessGuard for CoordinatorAccess {
    async fn job_access(
        &self,
        headers: &HeaderMap,
        query: &HashMap<String, String>,
        job: JobId,
    ) -> Result<(), Response> {
        let app = &self.0;
        let caller = app
            .caller(headers, query)
            .map_err(IntoResponse::into_response)?;
        app.owned_job(&caller, job)
            .await
            .map(|_| ())
            .map_err(IntoResponse::into_response)
    }

    async fn endpoint_access(
        &self,
        headers: &HeaderMap,
        query: &HashMap<String, String>,
    ) -> Result<(), Response> {
        self.0
            .caller(headers, query)
            .map(|_| ())
            .map_err(IntoResponse::into_response)
    }
}
