//! Step 1: whether an event goes to a target at all.

use crawler_core::EventKind;

use crate::target::Target;

/// An event is sent when the endpoint asked for its kind and its profile delivers it.
pub fn select(target: &Target, kind: EventKind) -> bool {
    target.events.contains(&kind) && target.profile.delivers(kind)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::tests::target;

    #[test]
    fn only_the_kinds_the_endpoint_asked_for() {
        let mut target = target();
        target.events = vec![EventKind::Page];
        assert!(select(&target, EventKind::Page));
        assert!(!select(&target, EventKind::Summary));
        assert!(!select(&target, EventKind::Started));
        target.events.clear();
        assert!(!select(&target, EventKind::Page));
    }
}
