//! Readiness: whether a role can reach the backends it needs. The coordinator answers it on
//! its API's `/readyz`; workers and dispatchers on their metrics listener. Both give the
//! same JSON, so one probe configuration fits every role.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Map, Value};

/// Longest a probe waits for a backend before calling it down.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// Each backend a role needs, by name, and whether it answered.
pub type Probes = Vec<(&'static str, bool)>;

type CheckFn = dyn Fn() -> Pin<Box<dyn Future<Output = Probes> + Send>> + Send + Sync;

/// A role's readiness check, cheap to clone into a handler.
#[derive(Clone)]
pub struct Readiness {
    check: Arc<CheckFn>,
}

impl Readiness {
    pub fn new<F, Fut>(check: F) -> Readiness
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Probes> + Send + 'static,
    {
        Readiness {
            check: Arc::new(move || Box::pin(check())),
        }
    }

    /// Runs the probes and answers as `/readyz` does.
    pub async fn answer(&self) -> (StatusCode, Json<Value>) {
        response(&(self.check)().await)
    }
}

/// Runs one backend's probe, calling it down when it does not answer within
/// [`PROBE_TIMEOUT`].
pub async fn probe(ready: impl Future<Output = bool>) -> bool {
    tokio::time::timeout(PROBE_TIMEOUT, ready)
        .await
        .unwrap_or(false)
}

/// 200 `{"status":"ready", <name>:"up"...}` when every backend is up; else 503 naming the
/// ones that are down, in the API's error shape.
pub fn response(probes: &[(&'static str, bool)]) -> (StatusCode, Json<Value>) {
    let mut body = Map::new();
    for (name, up) in probes {
        body.insert((*name).into(), json!(if *up { "up" } else { "down" }));
    }
    let down: Vec<&str> = probes
        .iter()
        .filter(|(_, up)| !up)
        .map(|(name, _)| *name)
        .collect();
    if down.is_empty() {
        body.insert("status".into(), json!("ready"));
        return (StatusCode::OK, Json(Value::Object(body)));
    }
    body.insert("status".into(), json!("unavailable"));
    body.insert(
        "error".into(),
        json!({"field": null, "message": format!("not ready: {} unreachable", join_names(&down))}),
    );
    (StatusCode::SERVICE_UNAVAILABLE, Json(Value::Object(body)))
}

/// "a", "a and b", "a, b and c".
fn join_names(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [only] => (*only).to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_when_every_backend_is_up() {
        let (status, Json(body)) = response(&[("queue", true), ("state", true)]);
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            body,
            json!({"status": "ready", "queue": "up", "state": "up"})
        );
    }

    #[test]
    fn unavailable_names_every_backend_that_is_down() {
        let (status, Json(body)) = response(&[("queue", false), ("state", true)]);
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body["queue"], "down");
        assert_eq!(body["state"], "up");
        assert_eq!(body["error"]["message"], "not ready: queue unreachable");
        let (_, Json(body)) = response(&[("queue", false), ("state", false), ("x", false)]);
        assert_eq!(
            body["error"]["message"],
            "not ready: queue, state and x unreachable"
        );
    }

    #[tokio::test]
    async fn a_probe_that_hangs_counts_as_down() {
        tokio::time::pause();
        assert!(!probe(std::future::pending::<bool>()).await);
        assert!(probe(async { true }).await);
    }
}
