//! Turning Redis replies back into domain values, and Redis errors into [`StateError`]s.

use std::collections::HashMap;

use crawler_core::StopReason;
use redis::RedisError;
use serde::de::DeserializeOwned;

use crate::snapshot::JobCounters;
use crate::StateError;

/// The error code the scripts reply with when the job does not exist.
const NO_SUCH_JOB: &str = "NOSUCHJOB";

pub(super) fn map_error(err: RedisError) -> StateError {
    if err.code() == Some(NO_SUCH_JOB) {
        return StateError::NoSuchJob;
    }
    if crate::redis_conn::is_transient(&err) {
        StateError::Unavailable(err.to_string())
    } else {
        StateError::Backend(err.to_string())
    }
}

pub(super) fn json<T: DeserializeOwned>(what: &str, raw: &str) -> Result<T, StateError> {
    serde_json::from_str(raw).map_err(|err| StateError::Corrupt(format!("{what}: {err}")))
}

pub(super) fn to_json<T: serde::Serialize>(value: &T) -> Result<String, StateError> {
    serde_json::to_string(value).map_err(|err| StateError::Backend(err.to_string()))
}

/// Reads the counters hash of a job; `None` when it has no `state`, that is no job.
pub(super) fn counters(
    fields: &HashMap<String, String>,
) -> Result<Option<JobCounters>, StateError> {
    let Some(state) = fields.get("state") else {
        return Ok(None);
    };
    let count = |name: &str| -> Result<u64, StateError> {
        match fields.get(name) {
            None => Ok(0),
            // A count is never negative unless a task was closed that was never admitted;
            // zero is the honest reading then.
            Some(raw) => raw
                .parse::<i64>()
                .map(|value| value.max(0).unsigned_abs())
                .map_err(|_| StateError::Corrupt(format!("counter {name} = {raw:?}"))),
        }
    };
    let stop_reason = fields
        .get("stop_reason")
        .map(|raw| {
            StopReason::parse(raw)
                .ok_or_else(|| StateError::Corrupt(format!("stop_reason = {raw:?}")))
        })
        .transpose()?;
    let finished_at = match fields.get("finished_at") {
        None => None,
        Some(_) => Some(count("finished_at")?),
    };
    Ok(Some(JobCounters {
        pending: count("pending")?,
        completed: count("completed")?,
        failed: count("failed")?,
        cancelled: count("cancelled")?,
        cost: count("cost")?,
        ended: state == "ended",
        stop_reason,
        finished_at,
        round: u32::try_from(count("round")?).unwrap_or(u32::MAX),
    }))
}
