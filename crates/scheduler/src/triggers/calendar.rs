//! The named intervals: hourly, daily, weekly and monthly, counted from an anchor (the
//! schedule's creation) on a time zone's wall clock.
//!
//! Each due time is computed from the anchor, never from the previous due time, so nothing
//! drifts: a daily schedule created at 09:30 runs at 09:30 local time every day, across
//! daylight-saving changes, and a monthly one created on 31 January runs on the last day of
//! the shorter months and on the 31st again in March. Hourly is sixty minutes of real time.

use chrono::{Days, Months, NaiveDateTime};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::zone;

/// How often a calendar trigger is due; serialised as the API spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Every {
    Hourly,
    Daily,
    Weekly,
    Monthly,
}

impl Every {
    /// The API's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Every::Hourly => "hourly",
            Every::Daily => "daily",
            Every::Weekly => "weekly",
            Every::Monthly => "monthly",
        }
    }

    /// The longest real time one step can take (a day can be 25 hours, a month 31 days
    /// and one), so that a duration divided by it never counts more steps than it holds.
    fn longest_step_ms(self) -> u64 {
        const HOUR: u64 = 3_600_000;
        match self {
            Every::Hourly => HOUR,
            Every::Daily => 25 * HOUR,
            Every::Weekly => 7 * 24 * HOUR + HOUR,
            Every::Monthly => 31 * 24 * HOUR + HOUR,
        }
    }
}

/// The `k`-th due time after the anchor.
fn nth(every: Every, anchor_ms: u64, zone: Tz, k: u64) -> Option<u64> {
    if every == Every::Hourly {
        return anchor_ms.checked_add(k.checked_mul(3_600_000)?);
    }
    let local: NaiveDateTime = zone::at(zone, anchor_ms)?.naive_local();
    let date = local.date();
    let date = match every {
        Every::Daily => date.checked_add_days(Days::new(k))?,
        Every::Weekly => date.checked_add_days(Days::new(k.checked_mul(7)?))?,
        // Adding months clamps to the month's last day, from the anchor each time.
        _ => date.checked_add_months(Months::new(u32::try_from(k).ok()?))?,
    };
    zone::resolve(zone, date.and_time(local.time()))
}

/// The first due time: one step after the anchor.
pub(super) fn first_due(every: Every, anchor_ms: u64, timezone: Option<&str>) -> Option<u64> {
    nth(every, anchor_ms, zone::parse(timezone).ok()?, 1)
}

/// The first due time later than both `due_at_ms` and `now_ms`.
pub(super) fn next_after(
    every: Every,
    anchor_ms: u64,
    timezone: Option<&str>,
    due_at_ms: u64,
    now_ms: u64,
) -> Option<u64> {
    let zone = zone::parse(timezone).ok()?;
    let floor = due_at_ms.max(now_ms);
    // Start from an estimate that is never past the answer, then step forward.
    let elapsed = floor.saturating_sub(anchor_ms);
    let mut k = (elapsed / every.longest_step_ms()).saturating_sub(1).max(1);
    loop {
        let time = nth(every, anchor_ms, zone, k)?;
        if time > floor {
            return Some(time);
        }
        k = k.checked_add(1)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn ms(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> u64 {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
            .unwrap()
            .timestamp_millis() as u64
    }

    #[test]
    fn hourly_and_daily_count_from_the_anchor() {
        let anchor = ms(2024, 5, 1, 9, 30);
        assert_eq!(
            first_due(Every::Hourly, anchor, None),
            Some(ms(2024, 5, 1, 10, 30))
        );
        assert_eq!(
            first_due(Every::Daily, anchor, None),
            Some(ms(2024, 5, 2, 9, 30))
        );
        assert_eq!(
            first_due(Every::Weekly, anchor, None),
            Some(ms(2024, 5, 8, 9, 30))
        );
        // Handled ten days late: the next one is the first after now, on the same grid.
        let late = ms(2024, 5, 12, 12, 0);
        assert_eq!(
            next_after(Every::Daily, anchor, None, ms(2024, 5, 2, 9, 30), late),
            Some(ms(2024, 5, 13, 9, 30))
        );
    }

    #[test]
    fn monthly_is_calendar_months_clamped_to_the_last_day() {
        let anchor = ms(2024, 1, 31, 8, 0);
        let feb = first_due(Every::Monthly, anchor, None).unwrap();
        assert_eq!(feb, ms(2024, 2, 29, 8, 0));
        let mar = next_after(Every::Monthly, anchor, None, feb, feb).unwrap();
        assert_eq!(
            mar,
            ms(2024, 3, 31, 8, 0),
            "the anchor's day again, no drift"
        );
        let apr = next_after(Every::Monthly, anchor, None, mar, mar).unwrap();
        assert_eq!(apr, ms(2024, 4, 30, 8, 0));
        // Years later, still on the grid.
        let far = next_after(Every::Monthly, anchor, None, apr, ms(2030, 6, 15, 0, 0));
        assert_eq!(far, Some(ms(2030, 6, 30, 8, 0)));
    }

    #[test]
    fn daily_keeps_the_local_time_across_daylight_saving() {
        // 09:00 in Paris: 07:00 UTC in summer (CEST), 08:00 UTC in winter (CET).
        let anchor = ms(2024, 10, 25, 7, 0);
        let paris = Some("Europe/Paris");
        let after_change = next_after(
            Every::Daily,
            anchor,
            paris,
            ms(2024, 10, 27, 7, 0),
            ms(2024, 10, 27, 12, 0),
        );
        assert_eq!(after_change, Some(ms(2024, 10, 28, 8, 0)));
    }
}
