//! Every error the API answers, turned into JSON in one place.
//!
//! The body is always `{"error": {"field": ..., "message": ...}}` so that clients parse one
//! shape. `field` names the request field at fault (dotted for nested ones, such as
//! `callback.url`) and is `null` when no single field is. A 500 or 503 never carries the
//! underlying error: it is logged here and the client gets a generic sentence.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use crawler_queue::QueueError;
use crawler_state::StateError;
use serde_json::json;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub field: Option<String>,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, field: Option<&str>, message: impl Into<String>) -> Self {
        ApiError {
            status,
            field: field.map(str::to_string),
            message: message.into(),
        }
    }

    /// 400 naming the field at fault.
    pub fn bad_request(field: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, Some(field), message)
    }

    /// 403: the caller's plan does not allow what it asked for.
    pub fn forbidden(field: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, Some(field), message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, Some("api_key"), message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, None, message)
    }

    /// A backend the request needs cannot be reached; the client may retry later.
    pub fn unavailable(what: &str, cause: &dyn std::fmt::Display) -> Self {
        tracing::warn!(error = %cause, "{what} unavailable");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            None,
            format!("the {what} is unavailable right now; try again later"),
        )
    }

    /// Something that should not happen; the cause goes to the log, not to the client.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            None,
            "internal error; the operator's logs have the details",
        )
    }
}

impl From<StateError> for ApiError {
    fn from(error: StateError) -> Self {
        match error {
            StateError::Unavailable(_) => ApiError::unavailable("job store", &error),
            StateError::NoSuchJob => ApiError::not_found("no such job"),
            StateError::Backend(_) | StateError::Corrupt(_) => ApiError::internal(&error),
        }
    }
}

impl From<QueueError> for ApiError {
    fn from(error: QueueError) -> Self {
        ApiError::unavailable("work queue", &error)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": {"field": self.field, "message": self.message}});
        (self.status, Json(body)).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn internal_errors_do_not_leak_their_cause() {
        let response =
            ApiError::from(StateError::Backend("password=hunter2".into())).into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let bytes = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("hunter2"), "{text}");
        let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert!(body["error"]["message"].is_string());
        assert!(body["error"]["field"].is_null());
    }

    #[tokio::test]
    async fn unavailable_backends_answer_503() {
        let response = ApiError::from(StateError::Unavailable("down".into())).into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    }
}
