//! The user-facing triggers (named intervals, cron, once) driven through the tick loop on
//! a [`ManualClock`]: each run starts at its time, once, and never before.

use chrono::{TimeZone, Utc};
use crawler_scheduler::tick::tick_once;
use crawler_scheduler::{Every, ManualClock, Schedule, Trigger};

use crate::common::{config, spec, CountingLauncher, Stores};

const MINUTE: u64 = 60_000;
const HOUR: u64 = 60 * MINUTE;

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> u64 {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .unwrap()
        .timestamp_millis() as u64
}

/// Steps the clock to each of `times` in turn, ticking at each, and returns the due times
/// of the runs started, in order.
async fn run_at(stores: &Stores, schedule: &Schedule, times: &[u64]) -> Vec<u64> {
    let clock = ManualClock::new(schedule.created_at_ms);
    let launcher = CountingLauncher::starting();
    stores.a.put(schedule).await.unwrap();
    for time in times {
        clock.set(*time);
        tick_once(stores.a.as_ref(), launcher.as_ref(), &clock, &config("one"))
            .await
            .expect("the store answers");
    }
    launcher.launches().iter().map(|(_, due, _)| *due).collect()
}

fn schedule(trigger: Trigger, created_at_ms: u64) -> Schedule {
    Schedule::new("owner", "scheduled", spec(), trigger, created_at_ms)
}

pub async fn hourly_schedule_starts_on_the_hour_after_creation(stores: Stores) {
    let created = utc(2024, 5, 1, 9, 30);
    let hourly = Trigger::calendar(Every::Hourly, created, None).unwrap();
    let s = schedule(hourly, created);
    let times = [
        created + HOUR - 1,
        created + HOUR,
        created + HOUR + 1,
        created + 2 * HOUR - 1,
        created + 2 * HOUR + 500,
        created + 3 * HOUR,
    ];
    let dues = run_at(&stores, &s, &times).await;
    assert_eq!(
        dues,
        vec![created + HOUR, created + 2 * HOUR, created + 3 * HOUR]
    );
}

pub async fn cron_schedule_starts_at_its_times_in_its_time_zone(stores: Stores) {
    // 03:00 on weekdays in Tokyo (UTC+9, no daylight saving) is 18:00 UTC the day before.
    let created = utc(2024, 5, 2, 12, 0); // a Thursday
    let cron = Trigger::cron("0 3 * * MON-FRI", Some("Asia/Tokyo")).unwrap();
    let s = schedule(cron, created);
    assert_eq!(
        s.next_run_ms,
        Some(utc(2024, 5, 2, 18, 0)),
        "Friday 03:00 JST"
    );
    let times = [
        utc(2024, 5, 2, 17, 59),
        utc(2024, 5, 2, 18, 0),
        utc(2024, 5, 3, 18, 0), // Saturday in Tokyo: nothing due
        utc(2024, 5, 5, 17, 59),
        utc(2024, 5, 5, 18, 1), // Monday 03:01 JST
    ];
    let dues = run_at(&stores, &s, &times).await;
    assert_eq!(dues, vec![utc(2024, 5, 2, 18, 0), utc(2024, 5, 5, 18, 0)]);
}

pub async fn cron_runs_missed_during_an_outage_start_once(stores: Stores) {
    let created = utc(2024, 5, 1, 0, 30);
    let s = schedule(Trigger::cron("0 * * * *", None).unwrap(), created);
    // Every scheduler was down from 00:30 to 05:20: one catch-up run for the five missed
    // hours, then the regular ones again.
    let times = [
        utc(2024, 5, 1, 5, 20),
        utc(2024, 5, 1, 5, 40),
        utc(2024, 5, 1, 6, 0),
    ];
    let dues = run_at(&stores, &s, &times).await;
    assert_eq!(dues, vec![utc(2024, 5, 1, 1, 0), utc(2024, 5, 1, 6, 0)]);
}

pub async fn monthly_schedule_starts_on_calendar_months(stores: Stores) {
    let created = utc(2024, 1, 31, 8, 0);
    let monthly = Trigger::calendar(Every::Monthly, created, None).unwrap();
    let s = schedule(monthly, created);
    let times = [
        utc(2024, 2, 29, 7, 59),
        utc(2024, 2, 29, 8, 0),
        utc(2024, 3, 30, 8, 0), // 30 days later: not a month yet
        utc(2024, 3, 31, 8, 0),
    ];
    let dues = run_at(&stores, &s, &times).await;
    assert_eq!(dues, vec![utc(2024, 2, 29, 8, 0), utc(2024, 3, 31, 8, 0)]);
}

pub async fn once_schedule_starts_once(stores: Stores) {
    let created = utc(2024, 5, 1, 9, 0);
    let s = schedule(Trigger::Once { at_ms: created }, created);
    let times = [created, created + MINUTE, created + 30 * 24 * HOUR];
    assert_eq!(run_at(&stores, &s, &times).await, vec![created]);
    let stored = stores.a.get(s.id).await.unwrap().unwrap();
    assert_eq!(stored.next_run_ms, None, "no time after its run");
    assert!(stored.enabled);
}
