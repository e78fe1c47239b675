//! Where an event goes and how: everything the delivery pipeline needs about a receiver.
//!
//! A target is made from an endpoint (`crawler_deliveries::endpoints`): today always a
//! job's inline callback, an anonymous endpoint of the job's owner; a stored, named
//! endpoint gives a target the same way, so the pipeline does not change.

use std::collections::BTreeMap;

use crawler_core::{EventKind, PayloadMode};
use crawler_deliveries::endpoints::Endpoint;
use crawler_deliveries::EndpointKey;

use crate::profiles::{self, DeliveryProfile};

#[derive(Debug, Clone)]
pub struct Target {
    /// Which endpoint of which tenant this is: what its health is kept under.
    pub endpoint: EndpointKey,
    pub url: String,
    /// The signing secret as configured; the sign step parses it.
    pub secret: String,
    /// Headers the endpoint asked for, sent before the ones the dispatcher owns.
    pub headers: BTreeMap<String, String>,
    /// The event kinds the endpoint wants.
    pub events: Vec<EventKind>,
    pub payload: PayloadMode,
    pub profile: &'static DeliveryProfile,
    /// Tries of each delivery in all, when the endpoint wants fewer than the retry
    /// schedule gives (an async job's callback: `async_callback_attempts`).
    pub attempts: Option<u32>,
}

impl Target {
    /// The target of an endpoint. A profile name this dispatcher does not know (an
    /// endpoint stored by a newer coordinator during a rolling upgrade) falls back to
    /// `standard` rather than losing the event.
    pub fn from_endpoint(endpoint: &Endpoint) -> Self {
        let profile = profiles::profile(&endpoint.profile).unwrap_or_else(|| {
            tracing::warn!(profile = %endpoint.profile, "unknown webhook profile; sending as standard");
            profiles::standard()
        });
        Target {
            endpoint: endpoint.key(),
            url: endpoint.url.clone(),
            secret: endpoint.secret.clone(),
            headers: endpoint.headers.clone(),
            events: endpoint.events.clone(),
            payload: endpoint.payload,
            profile,
            attempts: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_callback_becomes_a_standard_target_with_its_settings() {
        let callback = crawler_core::Callback {
            url: "http://hooks.test/in".into(),
            events: vec![EventKind::Summary],
            headers: [("X-Token".to_string(), "t".to_string())].into(),
            secret: "whsec_AAAA".into(),
            payload: PayloadMode::Thin,
            profile: None,
            attempts: None,
        };
        let tenant = crawler_deliveries::Tenant::new("owner");
        let target = Target::from_endpoint(&Endpoint::inline(tenant.clone(), &callback));
        assert_eq!(target.endpoint, EndpointKey::inline(&tenant, &callback.url));
        assert_eq!(target.url, callback.url);
        assert_eq!(target.secret, callback.secret);
        assert_eq!(target.headers, callback.headers);
        assert_eq!(target.events, callback.events);
        assert_eq!(target.payload, PayloadMode::Thin);
        assert_eq!(target.profile.name, "standard");
    }
}
