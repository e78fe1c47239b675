//! Standard five-field cron expressions (minute, hour, day of month, month, day of week),
//! evaluated in a time zone, UTC by default.
//!
//! Parsing is `croner`'s with seconds and years disallowed, so only the standard form is
//! accepted: `0 3 * * *`, lists, ranges, steps, month and weekday names, and the `@daily`
//! style nicknames. When both day fields are restricted a day matching either one runs, as
//! in Vixie cron.

use chrono::DateTime;
use chrono_tz::Tz;
use croner::parser::{CronParser, Seconds, Year};
use croner::Cron;

use super::zone;

/// Parses a five-field expression; the error says what is wrong with it.
pub fn parse(expression: &str) -> Result<Cron, String> {
    CronParser::builder()
        .seconds(Seconds::Disallowed)
        .year(Year::Disallowed)
        .build()
        .parse(expression)
        .map_err(|err| format!("`{expression}` is not a five-field cron expression: {err}"))
}

/// The first time the expression matches strictly after `after_ms`, in `timezone`. `None`
/// for an expression or zone that no longer parses (both were checked when stored) or one
/// that never matches (`0 0 30 2 *`).
pub(super) fn next(expression: &str, timezone: Option<&str>, after_ms: u64) -> Option<u64> {
    let cron = parse(expression).ok()?;
    let zone = zone::parse(timezone).ok()?;
    let after: DateTime<Tz> = zone::at(zone, after_ms)?;
    let next = cron.find_next_occurrence(&after, false).ok()?;
    zone::millis(&next)
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
    fn only_the_five_field_form_parses() {
        assert!(parse("0 3 * * *").is_ok());
        assert!(parse("*/15 9-17 * JAN-MAR MON-FRI").is_ok());
        assert!(parse("@daily").is_ok());
        assert!(parse("0 0 3 * * *").is_err(), "six fields (seconds)");
        assert!(parse("0 3 * *").is_err());
        assert!(parse("61 3 * * *").is_err());
        assert!(parse("every day").is_err());
    }

    #[test]
    fn next_is_strictly_after_in_utc_by_default() {
        let at_3 = ms(2024, 5, 1, 3, 0);
        assert_eq!(next("0 3 * * *", None, ms(2024, 5, 1, 2, 59)), Some(at_3));
        assert_eq!(next("0 3 * * *", None, at_3), Some(ms(2024, 5, 2, 3, 0)));
    }

    #[test]
    fn a_time_zone_moves_the_wall_clock() {
        // 03:00 in New York is 07:00 UTC in May (EDT, UTC-4).
        let after = ms(2024, 5, 1, 0, 0);
        assert_eq!(
            next("0 3 * * *", Some("America/New_York"), after),
            Some(ms(2024, 5, 1, 7, 0))
        );
    }
}

#[cfg(test)]
mod daylight_saving {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn ms(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> u64 {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
            .unwrap()
            .timestamp_millis() as u64
    }

    #[test]
    fn a_repeated_local_time_runs_once_and_a_skipped_one_after_the_gap() {
        let paris = Some("Europe/Paris");
        // 27 October 2024: 02:30 in Paris happens twice, at 00:30 and 01:30 UTC.
        let first = next("30 2 * * *", paris, ms(2024, 10, 26, 23, 0));
        assert_eq!(first, Some(ms(2024, 10, 27, 0, 30)));
        let after = next("30 2 * * *", paris, ms(2024, 10, 27, 0, 30));
        assert_eq!(
            after,
            Some(ms(2024, 10, 28, 1, 30)),
            "not again an hour later"
        );
        // 31 March 2024: 02:30 never happens; the run is at 03:00 local (01:00 UTC).
        let gap = next("30 2 * * *", paris, ms(2024, 3, 30, 23, 0));
        assert_eq!(gap, Some(ms(2024, 3, 31, 1, 0)));
    }
}
