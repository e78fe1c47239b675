//! Capped exponential backoff with jitter, for reconnecting to the broker.

use std::time::Duration;

/// Each delay doubles the previous one up to `max`. The actual pause is drawn between half
/// and all of it ("equal jitter"), so many workers that lost the broker at the same moment
/// do not all knock on its door at the same instants when it comes back.
#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    initial: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    pub(crate) fn new(initial: Duration, max: Duration) -> Self {
        let max = max.max(initial);
        Backoff {
            initial,
            max,
            next: initial,
        }
    }

    /// The pause before the next attempt.
    pub(crate) fn next_delay(&mut self) -> Duration {
        let base = self.next;
        self.next = base.saturating_mul(2).min(self.max);
        let half = base / 2;
        half + half.mul_f64(rand::random::<f64>())
    }

    /// Starts over from the initial delay after a success.
    pub(crate) fn reset(&mut self) {
        self.next = self.initial;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_cap_and_keep_at_least_half() {
        let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_millis(400));
        let bases = [100, 200, 400, 400, 400];
        for base in bases {
            let delay = backoff.next_delay();
            assert!(
                delay >= Duration::from_millis(base / 2),
                "{delay:?} below half of {base}ms"
            );
            assert!(
                delay <= Duration::from_millis(base),
                "{delay:?} above {base}ms"
            );
        }
        backoff.reset();
        assert!(backoff.next_delay() <= Duration::from_millis(100));
    }
}
