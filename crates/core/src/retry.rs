//! Retrying an operation through transient failures: the one helper behind every loop that
//! waits out a broker or a store that is restarting.
//!
//! The schedule is capped exponential backoff with jitter, built on `backon`. Each pause
//! starts from a base that doubles after every failure up to a cap, and the pause actually
//! taken is drawn between half of that base and all of it ("equal jitter"), so many
//! processes that lost a backend at the same moment do not all knock on its door at the same
//! instants when it comes back, yet none waits longer than the cap.
//!
//! It lives in the bottom crate so that every crate that retries (the queue backends, the
//! roles, the runtime that connects them) can reach it without depending upward.

use std::fmt::Display;
use std::future::Future;
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use tokio::time::Instant;

/// How to space the attempts of a retried operation, and when to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The base of the first pause; the pause taken is between half of it and all of it.
    pub initial: Duration,
    /// The largest base, and so the longest pause (raised to `initial` if below it).
    pub max: Duration,
    /// How long, from the first attempt, new attempts may start; `None` retries for as long
    /// as the failures are transient.
    pub deadline: Option<Duration>,
}

impl Backoff {
    /// A schedule from `initial` to `max`, without a deadline.
    pub const fn new(initial: Duration, max: Duration) -> Self {
        Backoff {
            initial,
            max,
            deadline: None,
        }
    }

    /// The same schedule, giving up once `deadline` has passed since the first attempt.
    pub const fn with_deadline(self, deadline: Duration) -> Self {
        Backoff {
            deadline: Some(deadline),
            ..self
        }
    }

    /// The endless schedule of pauses (the deadline is applied by [`retry_transient`]).
    ///
    /// backon's jitter adds a random fraction of the current delay to it, so the pause lies
    /// between the delay and twice the delay. Starting from half of our bases turns that
    /// into a pause between half the base and the base, which keeps `max` a true cap.
    fn schedule(&self) -> ExponentialBuilder {
        let max = self.max.max(self.initial);
        ExponentialBuilder::new()
            .with_min_delay(self.initial / 2)
            .with_max_delay(max / 2)
            .with_jitter()
            .without_max_times()
    }
}

/// Runs `op` until it succeeds, fails with an error `is_transient` calls permanent, or the
/// policy's deadline has passed; returns the last result.
///
/// Every transient failure that is retried is logged (with the pause before the next
/// attempt), and so is the one that ends the retries at the deadline. A permanent error is
/// returned at once without a log line: the caller knows what it means. The pause before an
/// attempt never reaches past the deadline, so the last attempt starts at the deadline at
/// the latest; an attempt in progress is not cut short (wrap it in a timeout for that).
pub async fn retry_transient<T, E, Fut>(
    what: &str,
    policy: &Backoff,
    is_transient: impl Fn(&E) -> bool,
    op: impl FnMut() -> Fut,
) -> Result<T, E>
where
    E: Display,
    Fut: Future<Output = Result<T, E>>,
{
    let give_up_at = policy.deadline.map(|deadline| Instant::now() + deadline);
    op.retry(policy.schedule())
        .sleep(tokio::time::sleep)
        .when(is_transient)
        .adjust(|error, pause| {
            let pause = pause?;
            let Some(give_up_at) = give_up_at else {
                return Some(pause);
            };
            let now = Instant::now();
            if now >= give_up_at {
                let deadline = policy.deadline.unwrap_or_default();
                tracing::warn!(%error, "{what} failed; giving up after {deadline:?}");
                return None;
            }
            Some(pause.min(give_up_at - now))
        })
        .notify(|error, pause| {
            tracing::warn!(%error, retry_in = ?pause, "{what} failed; retrying");
        })
        .await
}

/// Runs `op` until it succeeds, retrying every failure, with no deadline (the policy's is
/// ignored). For connecting at startup and for background reconnection, where giving up
/// helps nobody and the caller has nothing to do but wait.
pub async fn retry_forever<T, E, Fut>(
    what: &str,
    policy: &Backoff,
    mut op: impl FnMut() -> Fut,
) -> T
where
    E: Display,
    Fut: Future<Output = Result<T, E>>,
{
    let policy = Backoff {
        deadline: None,
        ..*policy
    };
    loop {
        // Without a deadline and with every error transient, `retry_transient` only returns
        // on success; the loop spells that out instead of asserting it.
        if let Ok(value) = retry_transient(what, &policy, |_| true, &mut op).await {
            return value;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use backon::BackoffBuilder;

    use super::*;

    #[derive(Debug, PartialEq)]
    enum Failure {
        Transient,
        Permanent,
    }

    impl Display for Failure {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "{self:?}")
        }
    }

    fn is_transient(failure: &Failure) -> bool {
        *failure == Failure::Transient
    }

    const POLICY: Backoff = Backoff::new(Duration::from_millis(100), Duration::from_millis(400));

    #[test]
    fn pauses_double_up_to_the_cap_and_keep_at_least_half() {
        let bases = [100, 200, 400, 400, 400, 400];
        for (delay, base) in POLICY.schedule().build().zip(bases) {
            assert!(
                delay >= Duration::from_millis(base / 2),
                "{delay:?} below half of {base}ms"
            );
            assert!(
                delay <= Duration::from_millis(base),
                "{delay:?} above {base}ms"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn transient_errors_are_retried_until_success() {
        let calls = AtomicU32::new(0);
        let started = Instant::now();
        let result = retry_transient("testing", &POLICY, is_transient, || async {
            if calls.fetch_add(1, Ordering::SeqCst) < 3 {
                Err(Failure::Transient)
            } else {
                Ok("done")
            }
        })
        .await;
        assert_eq!(result, Ok("done"));
        assert_eq!(calls.load(Ordering::SeqCst), 4);
        // Three pauses with bases 100, 200 and 400 ms, each between half its base and all.
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_millis(350),
            "waited only {waited:?}"
        );
        assert!(waited <= Duration::from_millis(703), "waited {waited:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_permanent_error_is_returned_at_once() {
        let calls = AtomicU32::new(0);
        let started = Instant::now();
        let result: Result<(), _> = retry_transient("testing", &POLICY, is_transient, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(Failure::Permanent)
        })
        .await;
        assert_eq!(result, Err(Failure::Permanent));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(started.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn a_permanent_error_after_transient_ones_ends_the_retries() {
        let calls = AtomicU32::new(0);
        let result: Result<(), _> = retry_transient("testing", &POLICY, is_transient, || async {
            match calls.fetch_add(1, Ordering::SeqCst) {
                0 | 1 => Err(Failure::Transient),
                _ => Err(Failure::Permanent),
            }
        })
        .await;
        assert_eq!(result, Err(Failure::Permanent));
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn the_deadline_ends_the_retries() {
        let deadline = Duration::from_secs(2);
        let policy = POLICY.with_deadline(deadline);
        let calls = AtomicU32::new(0);
        let started = Instant::now();
        let result: Result<(), _> = retry_transient("testing", &policy, is_transient, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(Failure::Transient)
        })
        .await;
        assert_eq!(result, Err(Failure::Transient));
        // The last pause is cut to end at the deadline, where one last attempt runs.
        let waited = started.elapsed();
        assert!(waited >= deadline, "gave up early, after {waited:?}");
        assert!(
            waited <= deadline + Duration::from_millis(10),
            "gave up late, after {waited:?}"
        );
        // At least 2 s / 400 ms pauses, at most 2 s / 50 ms.
        let calls = calls.load(Ordering::SeqCst);
        assert!((6..=42).contains(&calls), "{calls} attempts");
    }

    #[tokio::test(start_paused = true)]
    async fn retry_forever_retries_even_permanent_errors_until_success() {
        let calls = AtomicU32::new(0);
        let value = retry_forever("testing", &POLICY.with_deadline(Duration::ZERO), || async {
            if calls.fetch_add(1, Ordering::SeqCst) < 5 {
                Err(Failure::Permanent)
            } else {
                Ok(7)
            }
        })
        .await;
        assert_eq!(value, 7);
        assert_eq!(calls.load(Ordering::SeqCst), 6);
    }
}
