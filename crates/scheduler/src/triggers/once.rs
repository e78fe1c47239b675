//! Once: due at one time (the submission, or a time the user set), then never again.

/// The one due time.
pub(super) fn first_due(at_ms: u64) -> Option<u64> {
    Some(at_ms)
}

/// A run-once schedule has no time after its run.
pub(super) fn next_after() -> Option<u64> {
    None
}
