//! The `schedule` field and the schedule PATCH body.

use crawler_scheduler::{Every, Trigger};

use super::*;
use crate::validate::schedule::{change, job_and_schedule, NewSchedule, ScheduleChange};

const NOW: u64 = 1_700_000_000_000;

fn scheduled(schedule: Value) -> Result<NewSchedule, ApiError> {
    let req = request(json!({ "schedule": schedule }));
    job_and_schedule(&req, &rules(), Plan::Paid, NOW).map(|(_, s)| s.expect("a schedule"))
}

fn refused(schedule: Value, field: &str, words: &str) {
    let error = scheduled(schedule.clone()).expect_err(&schedule.to_string());
    assert_eq!(
        error.status,
        StatusCode::BAD_REQUEST,
        "{schedule}: {error:?}"
    );
    assert_eq!(error.field.as_deref(), Some(field), "{schedule}: {error:?}");
    assert!(error.message.contains(words), "{schedule}: {error:?}");
}

#[test]
fn named_intervals_and_cron_become_triggers() {
    let daily = scheduled(json!({"name": "docs", "interval": "daily"})).unwrap();
    assert_eq!(
        daily,
        NewSchedule {
            name: "docs".into(),
            trigger: Trigger::Calendar {
                every: Every::Daily,
                anchor_ms: NOW,
                timezone: None
            },
            enabled: true,
        }
    );
    let once = scheduled(json!({"name": "n", "interval": "once"})).unwrap();
    assert_eq!(once.trigger, Trigger::Once { at_ms: NOW });
    let cron =
        scheduled(json!({"name": "n", "cron": "0 3 * * *", "timezone": "Europe/Paris"})).unwrap();
    assert_eq!(
        cron.trigger,
        Trigger::Cron {
            expression: "0 3 * * *".into(),
            timezone: Some("Europe/Paris".into())
        }
    );
}

#[test]
fn enabled_is_read_beside_the_schedule_and_defaults_to_true() {
    let req = request(json!({"enabled": false, "schedule": {"name": "n", "interval": "weekly"}}));
    let (_, schedule) = job_and_schedule(&req, &rules(), Plan::Paid, NOW).unwrap();
    assert!(!schedule.unwrap().enabled);
    let inside = scheduled(json!({"name": "n", "interval": "weekly", "enabled": false})).unwrap();
    assert!(!inside.enabled);
    let req = request(json!({"enabled": "yes", "schedule": {"name": "n", "interval": "weekly"}}));
    let error = job_and_schedule(&req, &rules(), Plan::Paid, NOW).unwrap_err();
    assert_eq!(error.field.as_deref(), Some("enabled"));
}

#[test]
fn bad_schedules_are_refused_naming_the_field() {
    refused(
        json!({"name": "n", "interval": "fortnightly"}),
        "schedule.interval",
        "once, hourly",
    );
    refused(
        json!({"name": "n", "cron": "0 3 * *"}),
        "schedule.cron",
        "five-field",
    );
    refused(
        json!({"name": "n", "cron": "0 0 3 * * *"}),
        "schedule.cron",
        "five-field",
    );
    refused(
        json!({"name": "n", "cron": "0 3 * * *", "timezone": "Mars/Base"}),
        "schedule.timezone",
        "IANA",
    );
    refused(
        json!({"name": "n", "interval": "daily", "cron": "0 3 * * *"}),
        "schedule.cron",
        "not both",
    );
    refused(json!({"interval": "daily"}), "schedule.name", "required");
    refused(
        json!({"name": "  ", "interval": "daily"}),
        "schedule.name",
        "empty",
    );
    refused(json!({"name": "n"}), "schedule.interval", "interval");
    refused(json!("daily"), "schedule", "object");
}

#[test]
fn the_free_plan_cannot_schedule_and_the_job_is_still_validated() {
    let req = request(json!({"schedule": {"name": "n", "interval": "daily"}}));
    let error = job_and_schedule(&req, &rules(), Plan::Free, NOW).unwrap_err();
    assert_eq!(
        (error.status, error.field.as_deref()),
        (StatusCode::FORBIDDEN, Some("schedule"))
    );
    let req = request(json!({"max_depth": "deep", "schedule": {"name": "n", "interval": "daily"}}));
    let error = job_and_schedule(&req, &rules(), Plan::Paid, NOW).unwrap_err();
    assert_eq!(error.field.as_deref(), Some("max_depth"));
}

#[test]
fn a_patch_changes_only_what_it_names() {
    assert_eq!(change(&json!({}), NOW).unwrap(), ScheduleChange::default());
    let patch = change(&json!({"enabled": false, "cron": "*/5 * * * *"}), NOW).unwrap();
    assert_eq!(patch.enabled, Some(false));
    assert!(matches!(patch.trigger, Some(Trigger::Cron { .. })));
    let error = change(&json!({"interval": "daily", "cron": "* * * * *"}), NOW).unwrap_err();
    assert_eq!(error.field.as_deref(), Some("cron"));
    let error = change(&json!({"timezone": "Europe/Paris"}), NOW).unwrap_err();
    assert_eq!(error.field.as_deref(), Some("timezone"));
    let error = change(&json!({"enabled": "maybe"}), NOW).unwrap_err();
    assert_eq!(error.field.as_deref(), Some("enabled"));
    let error = change(&json!([1]), NOW).unwrap_err();
    assert_eq!(error.field.as_deref(), Some("body"));
}
