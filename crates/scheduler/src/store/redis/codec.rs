//! How the Redis store's values travel: JSON records, decimal times, index members.

use std::time::Duration;

use crawler_state::redis_conn;
use redis::RedisError;
use serde::de::DeserializeOwned;

use crate::schedule::{Schedule, ScheduleId};
use crate::ScheduleError;

/// The fields of a record hash a read needs: the JSON and the live `next_run_ms`.
pub(super) type RecordFields = (Option<String>, Option<String>);

pub(super) fn map_error(err: RedisError) -> ScheduleError {
    if redis_conn::is_transient(&err) {
        ScheduleError::Unavailable(err.to_string())
    } else {
        ScheduleError::Backend(err.to_string())
    }
}

pub(super) fn json<T: DeserializeOwned>(what: &str, raw: &str) -> Result<T, ScheduleError> {
    serde_json::from_str(raw).map_err(|err| ScheduleError::Corrupt(format!("{what}: {err}")))
}

pub(super) fn to_json<T: serde::Serialize>(value: &T) -> Result<String, ScheduleError> {
    serde_json::to_string(value).map_err(|err| ScheduleError::Backend(err.to_string()))
}

/// How a time travels to the scripts: decimal, empty for none.
pub(super) fn time_arg(time: Option<u64>) -> String {
    time.map(|ms| ms.to_string()).unwrap_or_default()
}

/// A schedule from its record's fields; `None` when there is no record.
pub(super) fn decode_record(
    (schedule, next_run_ms): RecordFields,
) -> Result<Option<Schedule>, ScheduleError> {
    let Some(raw) = schedule else {
        return Ok(None);
    };
    let mut schedule: Schedule = json("schedule", &raw)?;
    // The field, not the JSON, is where claim_run moves the next time.
    schedule.next_run_ms = match next_run_ms.as_deref() {
        None | Some("") => None,
        Some(raw) => Some(
            raw.parse()
                .map_err(|_| ScheduleError::Corrupt(format!("next_run_ms = {raw:?}")))?,
        ),
    };
    Ok(Some(schedule))
}

/// The ids in index members, which end in the id (after the owner and a NUL for `owners`).
pub(super) fn ids_of(members: &[String]) -> Result<Vec<ScheduleId>, ScheduleError> {
    members
        .iter()
        .map(|member| {
            let id = member.rsplit('\0').next().unwrap_or(member);
            id.parse()
                .map_err(|_| ScheduleError::Corrupt(format!("index member {member:?}")))
        })
        .collect()
}

pub(super) fn ttl_ms(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1)
}
