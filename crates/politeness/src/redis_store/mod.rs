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
use crawler_state::redis_conn;
use redis::aio::ConnectionManager;
use redis::{RedisError, RedisResult, Script};

use crate::{GateSettings, PolitenessError};

pub use crawler_state::redis_conn::DEFAULT_RESPONSE_TIMEOUT;

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
        let connection = redis_conn::connect(url, timeout)
            .await
            .map_err(|e| match e {
                redis_conn::ConnectError::InvalidUrl(m) => PolitenessError::Backend(m),
                redis_conn::ConnectError::Unavailable(m) => PolitenessError::Unavailable(m),
            })?;
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
        redis_conn::bounded(self.timeout, request)
            .await
            .map_err(map_error)
    }
}

fn map_error(err: RedisError) -> PolitenessError {
    if redis_conn::is_transient(&err) {
        PolitenessError::Unavailable(err.to_string())
    } else {
        PolitenessError::Backend(err.to_string())
    }
}
