//! When a schedule is due. Each kind of trigger is one module here and one variant of
//! [`Trigger`]; the tick loop only ever asks a trigger for its first time and for the time
//! after a run, so a new kind changes nothing else.

mod calendar;
pub mod cron;
mod interval;
mod once;
pub mod zone;

use serde::{Deserialize, Serialize};

pub use calendar::Every;

/// When a schedule is due, stored with it as JSON tagged by `type`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Trigger {
    /// Every `every_ms` milliseconds, the first time `every_ms` after creation.
    Interval { every_ms: u64 },
    /// Once, at `at_ms`.
    Once { at_ms: u64 },
    /// Hourly, daily, weekly or monthly from `anchor_ms`, on the wall clock of `timezone`
    /// (an IANA name; UTC when absent).
    Calendar {
        every: Every,
        anchor_ms: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timezone: Option<String>,
    },
    /// A standard five-field cron expression, in `timezone` (UTC when absent).
    Cron {
        expression: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timezone: Option<String>,
    },
}

/// Why a trigger could not be built from what a user gave.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TriggerError {
    #[error("{0}")]
    Cron(String),
    #[error("{0}")]
    Timezone(String),
}

impl Trigger {
    /// A cron trigger, once the expression and the zone are known to parse.
    pub fn cron(expression: &str, timezone: Option<&str>) -> Result<Trigger, TriggerError> {
        zone::parse(timezone).map_err(TriggerError::Timezone)?;
        cron::parse(expression).map_err(TriggerError::Cron)?;
        Ok(Trigger::Cron {
            expression: expression.trim().to_owned(),
            timezone: timezone.map(str::to_owned),
        })
    }

    /// A named interval counted from `anchor_ms`, once the zone is known to parse.
    pub fn calendar(
        every: Every,
        anchor_ms: u64,
        timezone: Option<&str>,
    ) -> Result<Trigger, TriggerError> {
        zone::parse(timezone).map_err(TriggerError::Timezone)?;
        Ok(Trigger::Calendar {
            every,
            anchor_ms,
            timezone: timezone.map(str::to_owned),
        })
    }

    /// Whether the trigger has times after its first run (every kind but `once`).
    pub fn is_recurring(&self) -> bool {
        !matches!(self, Trigger::Once { .. })
    }

    /// The first due time of a schedule created at `created_at_ms`; `None` when it is
    /// never due.
    pub fn first_due(&self, created_at_ms: u64) -> Option<u64> {
        match self {
            Trigger::Interval { every_ms } => interval::first_due(*every_ms, created_at_ms),
            Trigger::Once { at_ms } => once::first_due(*at_ms),
            Trigger::Calendar {
                every,
                anchor_ms,
                timezone,
            } => calendar::first_due(*every, *anchor_ms, timezone.as_deref()),
            Trigger::Cron {
                expression,
                timezone,
            } => cron::next(expression, timezone.as_deref(), created_at_ms),
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
            Trigger::Once { .. } => once::next_after(),
            Trigger::Calendar {
                every,
                anchor_ms,
                timezone,
            } => calendar::next_after(*every, *anchor_ms, timezone.as_deref(), due_at_ms, now_ms),
            Trigger::Cron {
                expression,
                timezone,
            } => cron::next(expression, timezone.as_deref(), due_at_ms.max(now_ms)),
        }
    }
}
