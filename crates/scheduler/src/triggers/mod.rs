//! When a schedule is due. Each kind of trigger is one module here and one variant of
//! [`Trigger`]; the tick loop only ever asks a trigger for its first time and for the time
//! after a run, so a new kind (cron, daily at a time) changes nothing else.

mod interval;

use serde::{Deserialize, Serialize};

/// When a schedule is due, stored with it as JSON tagged by `type`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Trigger {
    /// Every `every_ms` milliseconds, the first time `every_ms` after creation.
    Interval { every_ms: u64 },
}

impl Trigger {
    /// The first due time of a schedule created at `created_at_ms`; `None` when it is
    /// never due.
    pub fn first_due(&self, created_at_ms: u64) -> Option<u64> {
        match self {
            Trigger::Interval { every_ms } => interval::first_due(*every_ms, created_at_ms),
        }
    }

    /// The due time after the run that was due at `due_at_ms`, handled at `now_ms`; `None`
    /// when there is none.
    ///
    /// It is always later than `now_ms`: times missed while no scheduler ran (or while the
    /// run was late) are skipped, so a long outage starts one catch-up run, not one per
    /// missed time.
    pub fn next_after(&self, due_at_ms: u64, now_ms: u64) -> Option<u64> {
        match self {
            Trigger::Interval { every_ms } => interval::next_after(*every_ms, due_at_ms, now_ms),
        }
    }
}
