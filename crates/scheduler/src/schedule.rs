//! A schedule (a stored crawl spec and when to start it) and the log of its runs.

use std::fmt;
use std::str::FromStr;

use crawler_core::{JobId, JobSpec};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::triggers::Trigger;

/// A schedule's identifier, a UUID on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ScheduleId(pub Uuid);

impl ScheduleId {
    /// A new, time-ordered id (UUIDv7), so ids sort roughly by creation.
    pub fn generate() -> Self {
        ScheduleId(Uuid::now_v7())
    }
}

impl fmt::Display for ScheduleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for ScheduleId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s).map(ScheduleId)
    }
}

/// A crawl spec that starts a new crawl at each time its trigger says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Schedule {
    pub id: ScheduleId,
    /// Identifies the API key that owns the schedule, as for jobs.
    pub owner: String,
    /// The owner's label for it.
    pub name: String,
    /// What each run crawls.
    pub spec: JobSpec,
    pub trigger: Trigger,
    /// A disabled schedule keeps its place but starts nothing.
    pub enabled: bool,
    /// The next due time; `None` once the trigger has no further time.
    pub next_run_ms: Option<u64>,
    pub created_at_ms: u64,
}

impl Schedule {
    /// A new, enabled schedule, first due when its trigger first fires after creation.
    pub fn new(
        owner: impl Into<String>,
        name: impl Into<String>,
        spec: JobSpec,
        trigger: Trigger,
        created_at_ms: u64,
    ) -> Self {
        Schedule {
            id: ScheduleId::generate(),
            owner: owner.into(),
            name: name.into(),
            spec,
            next_run_ms: trigger.first_due(created_at_ms),
            trigger,
            enabled: true,
            created_at_ms,
        }
    }

    /// Enables or disables it at `now_ms`. A recurring schedule enabled again after its
    /// next time passed resumes at the first time after now, rather than starting a run
    /// for the time it was off; a run-once schedule that has not run is due at once.
    pub fn set_enabled(&mut self, enabled: bool, now_ms: u64) {
        if enabled && !self.enabled && self.trigger.is_recurring() {
            if let Some(next) = self.next_run_ms.filter(|next| *next <= now_ms) {
                self.next_run_ms = self.trigger.next_after(next, now_ms);
            }
        }
        self.enabled = enabled;
    }

    /// Gives it a new trigger at `now_ms`; the next time is the new trigger's first.
    pub fn set_trigger(&mut self, trigger: Trigger, now_ms: u64) {
        self.next_run_ms = trigger.first_due(now_ms);
        self.trigger = trigger;
    }

    /// Whether the due index holds this schedule: it is enabled and has a next time.
    pub fn is_indexed(&self) -> bool {
        self.enabled && self.next_run_ms.is_some()
    }
}

/// One due time of a schedule and what came of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Run {
    /// The due time this run was for.
    pub due_at_ms: u64,
    /// When the tick loop handled it.
    pub started_at_ms: u64,
    pub outcome: RunOutcome,
}

/// What a run did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum RunOutcome {
    /// A crawl was started.
    Started { job_id: JobId },
    /// No crawl was started, on purpose (the launcher said why).
    Skipped { reason: String },
    /// Starting the crawl failed; the schedule goes on with its next due time.
    Failed { reason: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> JobSpec {
        serde_json::from_value(serde_json::json!({
            "start_url": "https://example.com/",
            "url_regexp_include": ".*",
            "max_depth": 1,
            "api_params": {},
            "meta": null,
            "timeout_sec": 60,
            "scope": "host",
            "follow_nofollow": false,
            "ignore_query_parameters": false,
            "respect_robots_txt": true
        }))
        .expect("a job spec")
    }

    #[test]
    fn enabling_again_resumes_at_the_next_time_after_now_without_a_catch_up_run() {
        let mut s = Schedule::new("o", "n", spec(), Trigger::Interval { every_ms: 10 }, 0);
        s.set_enabled(false, 5);
        assert_eq!(
            s.next_run_ms,
            Some(10),
            "a disabled schedule keeps its place"
        );
        s.set_enabled(true, 95);
        assert_eq!(s.next_run_ms, Some(100));
        assert!(s.is_indexed());
    }

    #[test]
    fn enabling_a_run_once_schedule_that_has_not_run_makes_it_due() {
        let mut s = Schedule::new("o", "n", spec(), Trigger::Once { at_ms: 7 }, 7);
        s.set_enabled(false, 7);
        s.set_enabled(true, 1_000);
        assert_eq!(s.next_run_ms, Some(7), "due at once");
    }

    #[test]
    fn a_new_trigger_counts_from_now() {
        let mut s = Schedule::new("o", "n", spec(), Trigger::Interval { every_ms: 10 }, 0);
        s.set_trigger(Trigger::Interval { every_ms: 50 }, 1_000);
        assert_eq!(s.next_run_ms, Some(1_050));
    }
}
