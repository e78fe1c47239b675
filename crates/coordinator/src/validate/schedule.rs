//! The `schedule` field of a job, and the body of `PATCH /v1/schedules/{id}`: what a
//! schedule is called, when it runs and whether it is on. ScraperAPI's names: `schedule:
//! {name, interval}` with `enabled` beside it; `cron` and `timezone` are ours.

use crawler_config::Plan;
use crawler_core::JobSpec;
use crawler_scheduler::{Every, Trigger, TriggerError};
use serde_json::{Map, Value};

use super::{fields, job_spec, strict, Rules};
use crate::error::ApiError;
use crate::request::CrawlRequest;

/// Longest schedule name accepted.
pub const MAX_NAME_LEN: usize = 200;

/// The named intervals, as the API spells them.
pub const INTERVALS: [&str; 5] = ["once", "hourly", "daily", "weekly", "monthly"];

/// The fields of a job's `schedule`, and of a `PATCH` body.
const SCHEDULE_FIELDS: [&str; 5] = ["name", "interval", "cron", "timezone", "enabled"];

/// A schedule as submitted with a job.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSchedule {
    pub name: String,
    pub trigger: Trigger,
    pub enabled: bool,
}

/// What a `PATCH` changes; absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScheduleChange {
    pub name: Option<String>,
    pub trigger: Option<Trigger>,
    pub enabled: Option<bool>,
}

/// Validates a submission: the job spec and, when the request carries one, its schedule.
/// The free plan may not schedule (403, before anything else is looked at).
pub fn job_and_schedule(
    request: &CrawlRequest,
    rules: &Rules,
    plan: Plan,
    now_ms: u64,
) -> Result<(JobSpec, Option<NewSchedule>), ApiError> {
    let Some(value) = &request.schedule else {
        return Ok((job_spec(request, rules, plan)?, None));
    };
    if plan == Plan::Free {
        return Err(ApiError::forbidden(
            "schedule",
            "the free plan cannot schedule crawls",
        ));
    }
    let object = value
        .as_object()
        .ok_or_else(|| ApiError::bad_request("schedule", "schedule must be an object"))?;
    strict::known_keys("schedule", object, &SCHEDULE_FIELDS)?;
    let name = match object.get("name").filter(|v| !v.is_null()) {
        Some(v) => name("schedule.name", v)?,
        None => {
            return Err(ApiError::bad_request(
                "schedule.name",
                "schedule.name is required",
            ))
        }
    };
    let trigger = trigger(object, "schedule.", now_ms)?.ok_or_else(|| {
        ApiError::bad_request(
            "schedule.interval",
            format!(
                "schedule needs an interval ({}) or a cron expression",
                INTERVALS.join(", ")
            ),
        )
    })?;
    // ScraperAPI puts `enabled` beside `schedule`; inside it is read too.
    let enabled = match (&request.enabled, object.get("enabled")) {
        (Some(v), _) => fields::flag("enabled", v)?,
        (None, Some(v)) if !v.is_null() => fields::flag("schedule.enabled", v)?,
        _ => true,
    };
    let mut unscheduled = request.clone();
    unscheduled.schedule = None;
    let spec = job_spec(&unscheduled, rules, plan)?;
    Ok((
        spec,
        Some(NewSchedule {
            name,
            trigger,
            enabled,
        }),
    ))
}

/// Validates the body of a `PATCH`: `name`, `enabled`, and `interval` or `cron` with an
/// optional `timezone`.
pub fn change(body: &Value, now_ms: u64) -> Result<ScheduleChange, ApiError> {
    let object = body
        .as_object()
        .ok_or_else(|| ApiError::bad_request("body", "the body must be a JSON object"))?;
    strict::known_keys("", object, &SCHEDULE_FIELDS)?;
    let present = |key: &str| object.get(key).filter(|v| !v.is_null());
    Ok(ScheduleChange {
        name: present("name").map(|v| name("name", v)).transpose()?,
        trigger: trigger(object, "", now_ms)?,
        enabled: present("enabled")
            .map(|v| fields::flag("enabled", v))
            .transpose()?,
    })
}

fn name(field: &str, value: &Value) -> Result<String, ApiError> {
    let name = fields::string(field, value)?.trim();
    if name.is_empty() {
        return Err(ApiError::bad_request(field, format!("{field} is empty")));
    }
    if name.len() > MAX_NAME_LEN {
        return Err(ApiError::bad_request(
            field,
            format!("{field} is longer than {MAX_NAME_LEN} bytes"),
        ));
    }
    Ok(name.to_owned())
}

/// The trigger `interval` or `cron` (with `timezone`) describe, counted from `now_ms`;
/// `None` when neither is given. Field names in errors start with `prefix`.
fn trigger(
    object: &Map<String, Value>,
    prefix: &str,
    now_ms: u64,
) -> Result<Option<Trigger>, ApiError> {
    let field = |key: &str| format!("{prefix}{key}");
    let present = |key: &str| object.get(key).filter(|v| !v.is_null());
    let timezone = present("timezone")
        .map(|v| fields::string(&field("timezone"), v))
        .transpose()?;
    let built = match (present("interval"), present("cron")) {
        (Some(_), Some(_)) => {
            let message = format!(
                "give either {} or {}, not both",
                field("interval"),
                field("cron")
            );
            return Err(ApiError::bad_request(&field("cron"), message));
        }
        (Some(interval), None) => {
            let name = fields::one_of(&field("interval"), interval, &INTERVALS)?;
            named_interval(name, now_ms, timezone)
        }
        (None, Some(cron)) => Trigger::cron(fields::string(&field("cron"), cron)?, timezone),
        (None, None) if timezone.is_some() => {
            let message = format!(
                "{} applies to {} or {}; give one of them with it",
                field("timezone"),
                field("interval"),
                field("cron")
            );
            return Err(ApiError::bad_request(&field("timezone"), message));
        }
        (None, None) => return Ok(None),
    };
    built.map(Some).map_err(|error| match error {
        TriggerError::Cron(message) => ApiError::bad_request(&field("cron"), message),
        TriggerError::Timezone(message) => ApiError::bad_request(&field("timezone"), message),
    })
}

fn named_interval(
    name: &str,
    now_ms: u64,
    timezone: Option<&str>,
) -> Result<Trigger, TriggerError> {
    let every = match name {
        "once" => {
            crawler_scheduler::triggers::zone::parse(timezone).map_err(TriggerError::Timezone)?;
            return Ok(Trigger::Once { at_ms: now_ms });
        }
        "hourly" => Every::Hourly,
        "daily" => Every::Daily,
        "weekly" => Every::Weekly,
        _ => Every::Monthly,
    };
    Trigger::calendar(every, now_ms, timezone)
}
