//! The RabbitMQ and Redis the tests run against.
//!
//! Their URLs come from `CRAWLER_TEST_AMQP_URL` and `CRAWLER_TEST_REDIS_URL`, defaulting to
//! the loopback servers `scripts/services start` runs. A test that needs a service and
//! cannot reach it fails with a message saying how to start it: it never skips, because
//! a skipped test reads as a passing one.

use std::sync::Arc;
use std::time::Duration;

use crawler_queue::{Queue, QueueBackend};
use crawler_state::{StateBackend, StateStore};
use url::Url;

pub const DEFAULT_AMQP_URL: &str = "amqp://127.0.0.1:5672/%2f";
pub const DEFAULT_REDIS_URL: &str = "redis://127.0.0.1:6379/";

const HOW_TO_START: &str =
    "start the test services with `scripts/services start`, or point CRAWLER_TEST_AMQP_URL / \
     CRAWLER_TEST_REDIS_URL at running ones";

pub fn amqp_url() -> String {
    std::env::var("CRAWLER_TEST_AMQP_URL").unwrap_or_else(|_| DEFAULT_AMQP_URL.to_string())
}

pub fn redis_url() -> String {
    std::env::var("CRAWLER_TEST_REDIS_URL").unwrap_or_else(|_| DEFAULT_REDIS_URL.to_string())
}

/// A namespace no other test (or run) uses: `test-<uuid>`.
pub fn unique_namespace() -> String {
    format!("test-{}", uuid::Uuid::new_v4().simple())
}

/// Panics unless both services accept TCP connections.
pub async fn require_services() {
    require_reachable("RabbitMQ", &amqp_url()).await;
    require_reachable("Redis", &redis_url()).await;
}

/// Panics with a clear message unless `url`'s host and port accept a TCP connection.
pub async fn require_reachable(name: &str, url: &str) {
    let parsed = Url::parse(url).unwrap_or_else(|e| panic!("{name} URL `{url}` is invalid: {e}"));
    let host = parsed.host_str().unwrap_or("127.0.0.1").to_string();
    let port = parsed
        .port_or_known_default()
        .unwrap_or(match parsed.scheme() {
            "amqp" => 5672,
            _ => 6379,
        });
    let connect = tokio::net::TcpStream::connect((host.as_str(), port));
    match tokio::time::timeout(Duration::from_secs(5), connect).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => panic!("{name} is not reachable at {url}: {e}; {HOW_TO_START}"),
        Err(_) => panic!("{name} at {url} did not accept a connection within 5 s; {HOW_TO_START}"),
    }
}

/// A RabbitMQ queue client on the test broker, to inspect what a role queued.
pub async fn rabbit_queue() -> Arc<dyn Queue> {
    require_reachable("RabbitMQ", &amqp_url()).await;
    crawler_queue::connect(&QueueBackend::RabbitMq { url: amqp_url() })
        .await
        .unwrap_or_else(|e| {
            panic!(
                "cannot connect to RabbitMQ at {}: {e}; {HOW_TO_START}",
                amqp_url()
            )
        })
}

/// A Redis state store client on the test Redis, in `namespace`.
pub async fn redis_state(namespace: &str) -> Arc<dyn StateStore> {
    require_reachable("Redis", &redis_url()).await;
    crawler_state::connect(&StateBackend::redis(redis_url()), namespace)
        .await
        .unwrap_or_else(|e| {
            panic!(
                "cannot connect to Redis at {}: {e}; {HOW_TO_START}",
                redis_url()
            )
        })
}

/// The environment a role process needs to use the test services in `namespace`.
pub fn role_env(namespace: &str) -> Vec<(String, String)> {
    vec![
        ("CRAWLER_AMQP_URL".into(), amqp_url()),
        ("CRAWLER_REDIS_URL".into(), redis_url()),
        ("CRAWLER_NAMESPACE".into(), namespace.to_string()),
    ]
}
