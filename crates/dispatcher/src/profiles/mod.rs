//! Delivery profiles: what a receiver sees of an event.
//!
//! A [`DeliveryProfile`] is a value, one per kind of receiver, saying what each step of
//! the delivery pipeline does for it: which events it gets and what they are called, how
//! an event becomes a body, how the body is encoded and compressed, how the request is
//! signed, which headers go with it, and the retries and timeout it wants by default.
//! Adding a profile means one module here and one row in [`PROFILES`].

mod hasdata;
mod scraperapi_async;
mod scrapfly;
mod standard;
mod webscraper;

use std::time::Duration;

use crawler_core::{EventKind, Tenant, WebhookEvent};

pub use crate::encoding::{Body, Compression, Encoding};
pub use crate::pipeline::sign::SigningScheme;

/// Turns an event, whose page body the pipeline already left out or kept, into the body
/// value the profile's receivers expect.
pub type ShapeFn = fn(WebhookEvent) -> Body;

/// What a receiver is told about the endpoint it was sent to.
#[derive(Debug, Clone, Copy)]
pub struct Recipient<'a> {
    /// The stored endpoint's name; `None` for an inline callback.
    pub name: Option<&'a str>,
    pub tenant: &'a Tenant,
    pub secret: &'a str,
    /// The endpoint's consecutive failures before this attempt.
    pub consecutive_failures: u32,
}

/// What a profile adds to every request from the endpoint itself, for receivers that
/// expect to be told which endpoint of which project they are (`scrapfly`).
#[derive(Debug, Clone, Copy)]
pub struct EndpointContext {
    /// Adds the endpoint's context to the shaped body.
    pub body: fn(Body, &Recipient<'_>) -> Body,
    /// Headers about the endpoint; they win over the endpoint's custom headers.
    pub headers: fn(&Recipient<'_>) -> Vec<(&'static str, String)>,
}

#[derive(Debug)]
pub struct DeliveryProfile {
    /// The name endpoints choose the profile by.
    pub name: &'static str,
    /// The event kinds this profile delivers, each with the name its receivers know it by.
    /// A kind missing here is never sent to the profile's endpoints.
    pub events: &'static [(EventKind, &'static str)],
    pub shape: ShapeFn,
    pub encoding: Encoding,
    pub compression: Compression,
    pub signing: SigningScheme,
    /// Headers sent unless the endpoint sets one of the same name.
    pub headers: &'static [(&'static str, &'static str)],
    /// The retry schedule when the endpoint sets none; `None` keeps the configured
    /// `webhook_retry_schedule`.
    pub retry_schedule: Option<&'static [Duration]>,
    /// The timeout of one attempt; `None` keeps the configured `webhook_timeout_ms`.
    pub timeout: Option<Duration>,
    /// What the requests say about the endpoint; `None` for nothing.
    pub endpoint_context: Option<EndpointContext>,
}

impl DeliveryProfile {
    /// What the profile calls an event kind, or `None` when it does not deliver that kind.
    pub fn event_name(&self, kind: EventKind) -> Option<&'static str> {
        self.events
            .iter()
            .find(|(known, _)| *known == kind)
            .map(|(_, name)| *name)
    }

    pub fn delivers(&self, kind: EventKind) -> bool {
        self.event_name(kind).is_some()
    }

    /// The event kind this profile calls `name`, for endpoints that list events by the
    /// names their receivers know.
    pub fn kind_named(&self, name: &str) -> Option<EventKind> {
        self.events
            .iter()
            .find(|(_, known)| *known == name)
            .map(|(kind, _)| *kind)
    }

    /// Whether an endpoint of this profile may choose `encoding`. JSON and MessagePack
    /// write any body; a form only a flat one, which is what profiles whose own encoding
    /// is a form make.
    pub fn accepts(&self, encoding: Encoding) -> bool {
        encoding != Encoding::Form || self.encoding == Encoding::Form
    }
}

/// Every profile, looked up by name.
static PROFILES: &[&DeliveryProfile] = &[
    &standard::PROFILE,
    &scrapfly::PROFILE,
    &hasdata::PROFILE,
    &webscraper::PROFILE,
    &scraperapi_async::PROFILE,
];

/// The profile called `name`.
pub fn profile(name: &str) -> Option<&'static DeliveryProfile> {
    PROFILES
        .iter()
        .copied()
        .find(|profile| profile.name == name)
}

/// The names of every profile, in table order, for error messages that list the choices.
pub fn names() -> Vec<&'static str> {
    PROFILES.iter().map(|profile| profile.name).collect()
}

/// The profile of endpoints that name none: Standard Webhooks, JSON bodies.
pub fn standard() -> &'static DeliveryProfile {
    &standard::PROFILE
}

#[cfg(test)]
mod tests {
    use reqwest::header::{HeaderName, HeaderValue};

    use super::*;

    #[test]
    fn every_profile_is_found_by_its_own_name_once() {
        let names = names();
        for name in &names {
            assert_eq!(profile(name).map(|p| p.name), Some(*name));
            assert_eq!(names.iter().filter(|n| *n == name).count(), 1, "{name}");
        }
        assert!(profile("no-such-profile").is_none());
        assert_eq!(standard().name, "standard");
    }

    #[test]
    fn every_profile_s_default_headers_are_valid_http() {
        for profile in PROFILES {
            for (name, value) in profile.headers {
                assert!(HeaderName::from_bytes(name.as_bytes()).is_ok(), "{name}");
                assert!(HeaderValue::from_str(value).is_ok(), "{value}");
            }
        }
    }

    #[test]
    fn every_profile_delivers_something_and_names_each_kind_once() {
        for profile in PROFILES {
            assert!(!profile.events.is_empty(), "{}", profile.name);
            for (kind, _) in profile.events {
                let count = profile.events.iter().filter(|(k, _)| k == kind).count();
                assert_eq!(count, 1, "{} names {kind:?} twice", profile.name);
            }
        }
    }
}
