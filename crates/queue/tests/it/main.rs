//! The queue crate's integration tests, one test binary:
//!
//! - `memory`: the behavioural suite (`suite`) against the in-memory backend;
//! - `rabbitmq`: the same suite against a real RabbitMQ, and what only that backend
//!   promises;
//! - `rabbitmq_restart`: the shared RabbitMQ restarted in the middle of a stream.
//!
//! Every test that uses the broker holds [`broker::shared`]; the restart holds
//! [`broker::alone`], so no other test sees the outage. The memory tests need neither.

#[macro_use]
mod suite;

mod memory;
mod rabbitmq;
mod rabbitmq_restart;

/// Who may use the shared test broker at a time.
pub mod broker {
    use tokio::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

    static BROKER: RwLock<()> = RwLock::const_new(());

    /// For a test that uses the broker beside others; hold the guard until it ends.
    pub async fn shared() -> RwLockReadGuard<'static, ()> {
        BROKER.read().await
    }

    /// For a test that takes the broker down; hold the guard until it ends. Tokio's lock
    /// is fair, so a waiting restart is not starved by the other tests.
    pub async fn alone() -> RwLockWriteGuard<'static, ()> {
        BROKER.write().await
    }
}
