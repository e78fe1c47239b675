//! Where an event goes and how: everything the delivery pipeline needs about a receiver.
//!
//! Today a target is made from the job's inline callback, always with the `standard`
//! profile. When endpoints become stored resources, [`Target::from_callback`]'s caller
//! builds it from the stored endpoint instead; the pipeline does not change.

use std::collections::BTreeMap;

use crawler_core::{Callback, EventKind, PayloadMode};

use crate::profiles::{self, DeliveryProfile};

#[derive(Debug, Clone)]
pub struct Target {
    pub url: String,
    /// The signing secret as configured; the sign step parses it.
    pub secret: String,
    /// Headers the endpoint asked for, sent before the ones the dispatcher owns.
    pub headers: BTreeMap<String, String>,
    /// The event kinds the endpoint wants.
    pub events: Vec<EventKind>,
    pub payload: PayloadMode,
    pub profile: &'static DeliveryProfile,
}

impl Target {
    /// The target of a job's inline callback. Callbacks cannot name a profile yet, so they
    /// all get `standard`.
    pub fn from_callback(callback: &Callback) -> Self {
        Target {
            url: callback.url.clone(),
            secret: callback.secret.clone(),
            headers: callback.headers.clone(),
            events: callback.events.clone(),
            payload: callback.payload,
            profile: profiles::standard(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_callback_becomes_a_standard_target_with_its_settings() {
        let callback = Callback {
            url: "http://hooks.test/in".into(),
            events: vec![EventKind::Finished],
            headers: [("X-Token".to_string(), "t".to_string())].into(),
            secret: "whsec_AAAA".into(),
            payload: PayloadMode::Thin,
        };
        let target = Target::from_callback(&callback);
        assert_eq!(target.url, callback.url);
        assert_eq!(target.secret, callback.secret);
        assert_eq!(target.headers, callback.headers);
        assert_eq!(target.events, callback.events);
        assert_eq!(target.payload, PayloadMode::Thin);
        assert_eq!(target.profile.name, "standard");
    }
}
