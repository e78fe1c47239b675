//! The Redis stores of the distributed roles: one connection serving both the host gate
//! and the robots.txt cache.
//!
//! Every key of one host shares a Cluster hash tag (see [`keys`]), so the gate's scripts,
//! which read and write a host's leases and pace together, run on one slot. Each gate
//! decision is one Lua script: Redis runs it to the end before serving anyone else, so two
//! workers can never both take the last slot.
//!
//! As in `crawler-state`, the connection is a [`ConnectionManager`] that reconnects by
//! itself, and every call is bounded by a timeout so a silent Redis fails fast with
//! [`PolitenessError::Unavailable`].

mod gate;
mod keys;
mod robots;

use std::future::Future;
use std::time::Duration;

use crawler_core::Namespace;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{RedisError, RedisResult, RetryMethod, Script};

use crate::{GateSettings, PolitenessError};

/// How long one call may wait for Redis before failing as unavailable.
pub const DEFAULT_RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);

/// The Lua scripts, compiled in; `redis::Script` sends them by SHA1 and loads them on a
/// `NOSCRIPT` reply, so a restarted Redis needs no set-up.
struct Scripts {
    acquire: Script,
    release: Script,
}

/// Implements [`HostGate`](crate::HostGate) and [`RobotsStore`](crate::RobotsStore);
/// cloning shares the connection.
#[derive(Clone)]
pub struct RedisPoliteness {
    connection: ConnectionManager,
    namespace: Namespace,
    settings: GateSettings,
    scripts: std::sync::Arc<Scripts>,
    timeout: Duration,
}

impl std::fmt::Debug for RedisPoliteness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisPoliteness")
            .field("namespace", &self.namespace.as_str())
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl RedisPoliteness {
    /// Connects with [`DEFAULT_RESPONSE_TIMEOUT`].
    pub async fn connect(
        url: &str,
        namespace: &str,
        settings: GateSettings,
    ) -> Result<Self, PolitenessError> {
        Self::connect_with_timeout(url, namespace, settings, DEFAULT_RESPONSE_TIMEOUT).await
    }

    /// Connects, failing with [`PolitenessError::Unavailable`] when Redis does not answer
    /// within `timeout`; every later call is bounded by the same timeout.
    pub async fn connect_with_timeout(
        url: &str,
        namespace: &str,
        settings: GateSettings,
        timeout: Duration,
    ) -> Result<Self, PolitenessError> {
        let client = redis::Client::open(url)
            .map_err(|err| PolitenessError::Backend(format!("invalid Redis URL: {err}")))?;
        // Few, short reconnection attempts: the timeout bounds each call anyway, and the
        // next call starts a fresh attempt.
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_secs(1));
        let connection =
            bounded(timeout, ConnectionManager::new_with_config(client, config)).await?;
        Ok(RedisPoliteness {
            connection,
            namespace: Namespace::new(namespace),
            settings,
            scripts: std::sync::Arc::new(Scripts {
                acquire: Script::new(include_str!("scripts/acquire.lua")),
                release: Script::new(include_str!("scripts/release.lua")),
            }),
            timeout,
        })
    }

    /// A handle on the shared multiplexed connection; cloning it is cheap.
    fn conn(&self) -> ConnectionManager {
        self.connection.clone()
    }

    async fn run<T>(
        &self,
        request: impl Future<Output = RedisResult<T>>,
    ) -> Result<T, PolitenessError> {
        bounded(self.timeout, request).await
    }
}

async fn bounded<T>(
    timeout: Duration,
    request: impl Future<Output = RedisResult<T>>,
) -> Result<T, PolitenessError> {
    match tokio::time::timeout(timeout, request).await {
        Ok(result) => result.map_err(map_error),
        Err(_) => Err(PolitenessError::Unavailable(format!(
            "Redis did not answer within {} ms",
            timeout.as_millis()
        ))),
    }
}

fn map_error(err: RedisError) -> PolitenessError {
    // Connection trouble, timeouts and a server that is loading or failing over all pass
    // with time; anything else (a script bug, a wrong type) fails every time.
    let transient = err.is_io_error()
        || err.is_timeout()
        || err.is_connection_dropped()
        || err.is_connection_refusal()
        || matches!(
            err.retry_method(),
            RetryMethod::Reconnect
                | RetryMethod::ReconnectFromInitialConnections
                | RetryMethod::WaitAndRetry
                | RetryMethod::RetryImmediately
        );
    if transient {
        PolitenessError::Unavailable(err.to_string())
    } else {
        PolitenessError::Backend(err.to_string())
    }
}
