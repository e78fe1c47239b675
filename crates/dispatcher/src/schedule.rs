//! When to try a failed delivery again.
//!
//! A refused or reset connection first gets a few quick retries (`webhook_quick_retries`,
//! default 1 s then 5 s): a receiver restarting, or one whose accept queue overflowed for a
//! moment, is usually back by then, and waiting the long schedule's 30 s for it would
//! deliver its events late. They are taken only while every try so far failed that way;
//! once they are spent, or the receiver answered with an error, the long schedule runs
//! from its start.
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
    quick: Vec<Duration>,
}

/// What the tries of an event so far were, as its envelope counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TriesMade {
    /// Tries already made, counted from zero (the envelope's `attempt`).
    pub attempts: u32,
    /// How many of the retries among them were quick ones.
    pub quick: u32,
}

/// The next try of a failed delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NextTry {
    pub delay: Duration,
    /// A quick retry after a connection-level failure, not a step of the long schedule.
    pub quick: bool,
}

impl RetryPolicy {
    /// A policy with the long schedule only.
    pub fn new(schedule: Vec<Duration>) -> Self {
        RetryPolicy {
            schedule,
            quick: Vec::new(),
        }
    }

    /// The same policy with quick retries before the long schedule, after connection-level
    /// failures.
    pub fn with_quick_retries(mut self, quick: Vec<Duration>) -> Self {
        self.quick = quick;
        self
    }

    /// The next try after a failed one, or `None` when the event must be dead-lettered.
    /// `connection_failed` says the failed try's connection was refused or reset.
    pub fn next_try(
        &self,
        made: TriesMade,
        connection_failed: bool,
        retry_after: Option<Duration>,
        jitter: f64,
    ) -> Option<NextTry> {
        let only_quick_so_far = made.quick == made.attempts;
        let quick = usize::try_from(made.quick)
            .ok()
            .and_then(|i| self.quick.get(i));
        if let (true, true, Some(&wait)) = (connection_failed, only_quick_so_far, quick) {
            return Some(NextTry {
                delay: whole_millis(
                    wait.mul_f64(jitter.clamp(1.0 - JITTER_SPAN, 1.0 + JITTER_SPAN)),
                ),
                quick: true,
            });
        }
        let step = made.attempts.saturating_sub(made.quick);
        self.next_delay(step, retry_after, jitter)
            .map(|delay| NextTry {
                delay,
                quick: false,
            })
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
        Some(whole_millis(delay))
    }
}

/// Whole milliseconds: that is the broker's resolution, and it keeps delays comparable.
fn whole_millis(delay: Duration) -> Duration {
    Duration::from_millis(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX))
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
    fn refused_connections_get_the_quick_retries_before_the_long_schedule() {
        let p = policy().with_quick_retries(vec![Duration::from_secs(1), Duration::from_secs(5)]);
        let made = |attempts, quick| TriesMade { attempts, quick };
        let next = |m, refused| p.next_try(m, refused, None, 1.0).unwrap();
        assert_eq!(
            next(made(0, 0), true),
            NextTry {
                delay: Duration::from_secs(1),
                quick: true
            }
        );
        assert_eq!(
            next(made(1, 1), true),
            NextTry {
                delay: Duration::from_secs(5),
                quick: true
            }
        );
        // Spent: the long schedule from its start, then to its end.
        assert_eq!(
            next(made(2, 2), true),
            NextTry {
                delay: Duration::from_secs(30),
                quick: false
            }
        );
        assert_eq!(next(made(3, 2), true).delay, Duration::from_secs(60));
        assert_eq!(p.next_try(made(4, 2), true, None, 1.0), None);
        // An answered failure starts the long schedule; no quick retries after it.
        assert_eq!(next(made(0, 0), false).delay, Duration::from_secs(30));
        assert_eq!(next(made(1, 0), true).delay, Duration::from_secs(60));
        // A policy without quick retries (a profile's own schedule) has none.
        assert_eq!(
            policy()
                .next_try(made(0, 0), true, None, 1.0)
                .unwrap()
                .delay,
            Duration::from_secs(30)
        );
    }

    #[test]
    fn retry_after_seconds_parse() {
        assert_eq!(parse_retry_after(" 7 "), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }
}
