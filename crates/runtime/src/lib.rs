//! What every process does around its roles: open the backends (waiting for RabbitMQ and
//! Redis to come up, so a role can start before them), answer readiness probes, turn SIGINT
//! and SIGTERM into a shutdown future, and, for the embedded deployment, run the roles
//! together in one process.
//!
//! - [`services`]: [`Services::connect`], the one place that chooses the backends;
//! - [`probes`]: `/metrics`, `/healthz` and `/readyz` for roles without an HTTP API;
//! - [`signals`]: the shutdown future and the exit of a failed role;
//! - [`embedded`]: fetcher workers and a dispatcher as tasks of one process.

pub mod embedded;
pub mod probes;
pub mod services;
pub mod signals;

pub use embedded::{Embedded, EmbeddedOptions};
pub use probes::connect_with_metrics;
pub use services::{BackendChoice, Roles, Services, ServicesError, WorkerTap};
pub use signals::{exit_on_error, shutdown_signal};
