//! A fixed interval: due at creation + `every`, then every `every` after each due time.
//!
//! The times stay on the grid the first due time set (creation + k × `every`), however late
//! a run is handled, so a schedule does not drift later by each tick's delay. A zero
//! interval is never due rather than due in a loop.

/// The first due time: one interval after creation.
pub(super) fn first_due(every_ms: u64, created_at_ms: u64) -> Option<u64> {
    if every_ms == 0 {
        return None;
    }
    created_at_ms.checked_add(every_ms)
}

/// The first time on the grid of `due_at_ms` that is later than `now_ms` (and later than
/// `due_at_ms` itself, when the clock reads earlier than the due time).
pub(super) fn next_after(every_ms: u64, due_at_ms: u64, now_ms: u64) -> Option<u64> {
    if every_ms == 0 {
        return None;
    }
    // How many whole intervals after the due time the next one is: at least one, and
    // enough to pass `now`.
    let steps = match now_ms.checked_sub(due_at_ms) {
        Some(elapsed) => elapsed / every_ms + 1,
        None => 1,
    };
    steps
        .checked_mul(every_ms)
        .and_then(|offset| due_at_ms.checked_add(offset))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_due_is_one_interval_after_creation() {
        assert_eq!(first_due(1_000, 5_000), Some(6_000));
        assert_eq!(first_due(0, 5_000), None);
        assert_eq!(first_due(10, u64::MAX - 5), None);
    }

    #[test]
    fn next_is_the_first_grid_time_after_now() {
        // Handled on time, or a little late: the next grid time.
        assert_eq!(next_after(1_000, 6_000, 6_000), Some(7_000));
        assert_eq!(next_after(1_000, 6_000, 6_999), Some(7_000));
        // Handled exactly at the next grid time: that one has passed too.
        assert_eq!(next_after(1_000, 6_000, 7_000), Some(8_000));
        // Ten intervals late: one run now, the next one on the grid after now.
        assert_eq!(next_after(1_000, 6_000, 16_500), Some(17_000));
        // A clock that reads before the due time still moves forward.
        assert_eq!(next_after(1_000, 6_000, 5_000), Some(7_000));
    }

    #[test]
    fn no_next_time_for_a_zero_interval_or_past_the_end_of_time() {
        assert_eq!(next_after(0, 6_000, 6_000), None);
        assert_eq!(next_after(1_000, u64::MAX - 10, u64::MAX - 10), None);
    }
}
