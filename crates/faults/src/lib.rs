//! Fault points: named steps where a test can make the process die or the step fail, to
//! prove that what follows a crash or a failed publish at exactly that step still comes
//! out right.
//!
//! Code marks a step with `crawler_faults::point("worker.after_close")?`. Without the
//! `enabled` feature, [`point`] is an inlined `Ok(())` and its name is not even kept in the
//! binary; only test builds turn the feature on (see `crates/crawler/Cargo.toml`).
//!
//! With it, the points are armed by the `CRAWLER_FAULTS` environment variable of the
//! process, read at the first point reached: a comma-separated list of `name=action`,
//! where the action is
//! - `abort`: the process aborts (`std::process::abort`, as abrupt as `kill -9`) the
//!   first time the point is reached;
//! - `error`: every hit fails with [`InjectedFault`];
//! - `error:N`: the first `N` hits fail, later ones pass.
//!
//! A malformed `CRAWLER_FAULTS` aborts the process with a message, so a test that meant to
//! inject a fault never passes without one.

/// The error an armed point returns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("fault point {0} failed on purpose (CRAWLER_FAULTS)")]
pub struct InjectedFault(pub &'static str);

/// Marks the step `name`: fails or aborts here when the point is armed.
#[cfg(not(feature = "enabled"))]
#[inline(always)]
pub fn point(_name: &'static str) -> Result<(), InjectedFault> {
    Ok(())
}

/// Marks the step `name`: fails or aborts here when the point is armed.
#[cfg(feature = "enabled")]
pub fn point(name: &'static str) -> Result<(), InjectedFault> {
    armed::hit(name)
}

#[cfg(feature = "enabled")]
mod armed;

#[cfg(feature = "enabled")]
pub use armed::{parse, Action};
