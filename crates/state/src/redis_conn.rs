//! The Redis connection every Redis-backed store of the project uses (job state,
//! politeness, delivery records), set up once: bounded connect and response times, and one
//! rule for which errors pass with time.

use std::future::Future;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{RedisError, RedisResult, RetryMethod};

/// How long one call may wait for Redis before failing as unavailable.
pub const DEFAULT_RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a connection could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("invalid Redis URL: {0}")]
    InvalidUrl(String),
    #[error("Redis unavailable: {0}")]
    Unavailable(String),
}

/// A self-reconnecting connection whose connects and calls each fail after `timeout`
/// rather than hang on a silent server.
pub async fn connect(url: &str, timeout: Duration) -> Result<ConnectionManager, ConnectError> {
    let client = redis::Client::open(url).map_err(|e| ConnectError::InvalidUrl(e.to_string()))?;
    // Few, short reconnection attempts: the timeout bounds each call anyway, and the next
    // call starts a fresh attempt.
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(timeout))
        .set_response_timeout(Some(timeout))
        .set_number_of_retries(2)
        .set_max_delay(Duration::from_secs(1));
    bounded(timeout, ConnectionManager::new_with_config(client, config))
        .await
        .map_err(|e| ConnectError::Unavailable(e.to_string()))
}

/// Runs `request`, turning a wait longer than `timeout` into a timeout error.
pub async fn bounded<T>(
    timeout: Duration,
    request: impl Future<Output = RedisResult<T>>,
) -> RedisResult<T> {
    match tokio::time::timeout(timeout, request).await {
        Ok(result) => result,
        Err(_) => Err(RedisError::from(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            format!("Redis did not answer within {} ms", timeout.as_millis()),
        ))),
    }
}

/// Whether an error passes with time (connection trouble, timeouts, a server that is
/// loading or failing over) rather than failing every time (a script bug, a wrong type).
pub fn is_transient(err: &RedisError) -> bool {
    err.is_io_error()
        || err.is_timeout()
        || err.is_connection_dropped()
        || err.is_connection_refusal()
        || matches!(
            err.retry_method(),
            RetryMethod::Reconnect
                | RetryMethod::ReconnectFromInitialConnections
                | RetryMethod::WaitAndRetry
                | RetryMethod::RetryImmediately
        )
}
