//! When to try a failed delivery again.
//!
//! The schedule is a list from the configuration (`webhook_retry_schedule`), not a formula:
//! its length is the number of retries, and entry `n` is the wait before retry `n + 1`.
//! Each wait gets ±20% jitter so that the retries of a burst of failures (an endpoint that
//! was down for a minute) do not all arrive in the same second when it comes back.
//!
//! The jitter is drawn from a few fixed steps rather than continuously, because a broker
//! that holds delays in per-delay queues needs one queue per distinct delay: eleven steps
//! per schedule entry keep that number small while still spreading the load. (The RabbitMQ
//! backend also rounds every delay up to a fixed ladder of rungs, so there the jitter
//! spreads retries across neighbouring rungs.)

use std::time::Duration;

/// How far jitter may move a delay, as a fraction of it.
const JITTER_SPAN: f64 = 0.2;
/// Number of jitter steps on each side of the scheduled delay.
const JITTER_STEPS: u32 = 5;

/// A `Retry-After` is honoured within this band around the scheduled delay: a receiver
/// may ask for a longer pause than we planned, but not stall an event indefinitely, and
/// may not make us hammer it faster than half the plan.
const RETRY_AFTER_MIN_FACTOR: f64 = 0.5;
const RETRY_AFTER_MAX_FACTOR: f64 = 4.0;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    schedule: Vec<Duration>,
}

impl RetryPolicy {
    pub fn new(schedule: Vec<Duration>) -> Self {
        RetryPolicy { schedule }
    }

    /// The same schedule for a delivery tried at most `attempts` times in all (the first
    /// try and `attempts - 1` retries).
    pub fn limited_to(&self, attempts: u32) -> RetryPolicy {
        let retries = usize::try_from(attempts.saturating_sub(1)).unwrap_or(usize::MAX);
        RetryPolicy::new(self.schedule.iter().copied().take(retries).collect())
    }

    /// How many retries follow the first attempt.
    pub fn retries(&self) -> u32 {
        u32::try_from(self.schedule.len()).unwrap_or(u32::MAX)
    }

    /// The wait before the next try of an event whose attempt number `attempts_made` (the
    /// envelope's `attempt`, counted from zero) just failed, or `None` when the schedule is
    /// exhausted and the event must be dead-lettered.
    ///
    /// `jitter` is a factor drawn by [`jitter_factor`]; `retry_after` is the receiver's
    /// `Retry-After`, only passed for 429 and 503 answers.
    pub fn next_delay(
        &self,
        attempts_made: u32,
        retry_after: Option<Duration>,
        jitter: f64,
    ) -> Option<Duration> {
        let scheduled = *self.schedule.get(usize::try_from(attempts_made).ok()?)?;
        let delay = match retry_after {
            Some(asked) => asked.clamp(
                scheduled.mul_f64(RETRY_AFTER_MIN_FACTOR),
                scheduled.mul_f64(RETRY_AFTER_MAX_FACTOR),
            ),
            None => scheduled.mul_f64(jitter.clamp(1.0 - JITTER_SPAN, 1.0 + JITTER_SPAN)),
        };
        // Whole milliseconds: that is the broker's resolution, and it keeps delays comparable.
        Some(Duration::from_millis(
            u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
        ))
    }
}

/// A random jitter factor in `[0.8, 1.2]`, on one of eleven fixed steps.
pub fn jitter_factor() -> f64 {
    let step = rand::random_range(0..=2 * JITTER_STEPS);
    let offset = f64::from(step) - f64::from(JITTER_STEPS);
    1.0 + offset * JITTER_SPAN / f64::from(JITTER_STEPS)
}

/// Reads a `Retry-After` header given in seconds. The HTTP-date form is rare on webhook
/// receivers and is ignored: the schedule then applies unchanged.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy::new(vec![Duration::from_secs(30), Duration::from_secs(60)])
    }

    #[test]
    fn schedule_length_is_the_number_of_retries() {
        let p = policy();
        assert_eq!(p.retries(), 2);
        assert_eq!(p.next_delay(0, None, 1.0), Some(Duration::from_secs(30)));
        assert_eq!(p.next_delay(1, None, 1.0), Some(Duration::from_secs(60)));
        assert_eq!(p.next_delay(2, None, 1.0), None);
    }

    #[test]
    fn a_limit_on_tries_cuts_the_schedule() {
        assert_eq!(policy().limited_to(2).retries(), 1);
        assert_eq!(policy().limited_to(1).retries(), 0);
        assert_eq!(policy().limited_to(0).retries(), 0);
        assert_eq!(policy().limited_to(10), policy());
    }

    #[test]
    fn jitter_stays_within_twenty_percent_on_fixed_steps() {
        let p = policy();
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..500 {
            let factor = jitter_factor();
            assert!((0.8..=1.2).contains(&factor), "{factor}");
            seen.insert(p.next_delay(0, None, factor).unwrap());
        }
        assert!(seen.len() > 3 && seen.len() <= 11, "{seen:?}");
        // A factor outside the band is clamped rather than trusted.
        assert_eq!(p.next_delay(0, None, 5.0), Some(Duration::from_secs(36)));
    }

    #[test]
    fn retry_after_is_honoured_within_a_band() {
        let p = policy();
        let asked = |s| p.next_delay(0, Some(Duration::from_secs(s)), 1.0).unwrap();
        assert_eq!(asked(45), Duration::from_secs(45));
        assert_eq!(asked(1), Duration::from_secs(15));
        assert_eq!(asked(86_400), Duration::from_secs(120));
    }

    #[test]
    fn retry_after_seconds_parse() {
        assert_eq!(parse_retry_after(" 7 "), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }
}
