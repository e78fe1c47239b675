//! Time zones: IANA names, and the conversions between Unix milliseconds and a zone's wall
//! clock that the calendar and cron triggers need.

use chrono::{DateTime, LocalResult, NaiveDateTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

/// The zone named `name` (an IANA name such as `Europe/Paris`), UTC when there is none.
pub fn parse(name: Option<&str>) -> Result<Tz, String> {
    match name {
        None => Ok(Tz::UTC),
        Some(name) => name
            .parse::<Tz>()
            .map_err(|_| format!("`{name}` is not an IANA time zone name")),
    }
}

/// `ms` in `zone`; `None` past the range chrono can represent.
pub fn at(zone: Tz, ms: u64) -> Option<DateTime<Tz>> {
    let ms = i64::try_from(ms).ok()?;
    Utc.timestamp_millis_opt(ms)
        .single()
        .map(|utc| utc.with_timezone(&zone))
}

/// Unix milliseconds of `time`; `None` before 1970.
pub fn millis<Z: TimeZone>(time: &DateTime<Z>) -> Option<u64> {
    u64::try_from(time.timestamp_millis()).ok()
}

/// The instant a wall-clock time names in `zone`. A time that happens twice (the hour a
/// clock goes back) is its first occurrence; a time that never happens (the hour a clock
/// goes forward) is moved forward by the gap, as most cron daemons do, so that a schedule
/// still runs on that day.
pub fn resolve(zone: Tz, local: NaiveDateTime) -> Option<u64> {
    let mut local = local;
    // Gaps are at most a few hours long; step by half hours to cross any of them.
    for _ in 0..8 {
        match zone.from_local_datetime(&local) {
            LocalResult::Single(time) | LocalResult::Ambiguous(time, _) => return millis(&time),
            LocalResult::None => local = local.checked_add_signed(TimeDelta::minutes(30))?,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_iana_and_none_is_utc() {
        assert_eq!(parse(None), Ok(Tz::UTC));
        assert_eq!(parse(Some("Europe/Paris")), Ok(Tz::Europe__Paris));
        assert!(parse(Some("Mars/Olympus_Mons")).is_err());
        assert!(parse(Some("")).is_err());
    }

    #[test]
    fn a_skipped_local_time_moves_past_the_gap() {
        // Paris skipped 02:00-03:00 on 31 March 2024.
        let local = chrono::NaiveDate::from_ymd_opt(2024, 3, 31)
            .and_then(|d| d.and_hms_opt(2, 30, 0))
            .unwrap();
        let ms = resolve(Tz::Europe__Paris, local).unwrap();
        let seen = at(Tz::Europe__Paris, ms).unwrap();
        assert_eq!(seen.format("%H:%M").to_string(), "03:00");
    }
}
