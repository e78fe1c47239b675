//! Where an event goes and how: everything the delivery pipeline needs about a receiver.
//!
//! A target is made from an endpoint (`crawler_deliveries::endpoints`): a job's inline
//! callback, an anonymous endpoint of the job's tenant, or the tenant's stored endpoint
//! the job names (`webhook_name`); the pipeline handles both alike.

use std::collections::BTreeMap;
use std::time::Duration;

use crawler_core::{EventKind, PayloadMode, Tenant};
use crawler_deliveries::endpoints::Endpoint;
use crawler_deliveries::EndpointKey;

use crate::encoding::{Compression, Encoding};
use crate::profiles::{self, DeliveryProfile, Recipient};

#[derive(Debug, Clone)]
pub struct Target {
    /// Which endpoint of which tenant this is: what its health is kept under.
    pub endpoint: EndpointKey,
    /// The tenant owning the endpoint.
    pub tenant: Tenant,
    /// The stored endpoint's name; `None` for an inline callback.
    pub name: Option<String>,
    pub url: String,
    /// The signing secret as configured; the sign step parses it.
    pub secret: String,
    /// Headers the endpoint asked for, sent before the ones the dispatcher owns.
    pub headers: BTreeMap<String, String>,
    /// The event kinds the endpoint wants.
    pub events: Vec<EventKind>,
    pub payload: PayloadMode,
    pub profile: &'static DeliveryProfile,
    /// The body format: the endpoint's choice, else the profile's.
    pub encoding: Encoding,
    pub compression: Compression,
    /// The endpoint's own retry schedule, over the profile's and the configured one.
    pub retry_schedule: Option<Vec<Duration>>,
    /// The endpoint's own attempt timeout, over the profile's and the configured one.
    pub timeout: Option<Duration>,
    /// The endpoint's consecutive failures when this attempt started; set per attempt by
    /// the handler, for profiles that tell the receiver (`scrapfly`).
    pub consecutive_failures: u32,
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
        let encoding = endpoint
            .content_type
            .map(Encoding::from)
            .filter(|chosen| profile.accepts(*chosen))
            .unwrap_or(profile.encoding);
        let compression = endpoint
            .content_encoding
            .map_or(profile.compression, Compression::from);
        Target {
            encoding,
            compression,
            endpoint: endpoint.key(),
            tenant: endpoint.tenant.clone(),
            name: endpoint.name.clone(),
            url: endpoint.url.clone(),
            secret: endpoint.secret.clone(),
            headers: endpoint.headers.clone(),
            events: endpoint.events.clone(),
            payload: endpoint.payload,
            profile,
            retry_schedule: endpoint
                .retry_schedule_ms
                .as_ref()
                .map(|delays| delays.iter().copied().map(Duration::from_millis).collect()),
            timeout: endpoint.timeout_ms.map(Duration::from_millis),
            consecutive_failures: 0,
            attempts: None,
        }
    }

    /// What the profile may tell the receiver about the endpoint.
    pub fn recipient(&self) -> Recipient<'_> {
        Recipient {
            name: self.name.as_deref(),
            tenant: &self.tenant,
            secret: &self.secret,
            consecutive_failures: self.consecutive_failures,
        }
    }

    /// The timeout of one attempt: the endpoint's, else the profile's; `None` keeps the
    /// client's configured one.
    pub fn attempt_timeout(&self) -> Option<Duration> {
        self.timeout.or(self.profile.timeout)
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
            profile: "standard".into(),
            content_type: None,
            content_encoding: None,
            attempts: None,
        };
        let tenant = Tenant::new("shop", "live");
        let target = Target::from_endpoint(&Endpoint::inline(tenant.clone(), &callback));
        assert_eq!(target.endpoint, EndpointKey::inline(&tenant, &callback.url));
        assert_eq!(target.tenant, tenant);
        assert_eq!(target.name, None);
        assert_eq!(target.url, callback.url);
        assert_eq!(target.secret, callback.secret);
        assert_eq!(target.headers, callback.headers);
        assert_eq!(target.events, callback.events);
        assert_eq!(target.payload, PayloadMode::Thin);
        assert_eq!(target.profile.name, "standard");
        assert_eq!(target.encoding, Encoding::Json);
        assert_eq!(target.compression, Compression::None);
        assert_eq!((target.retry_schedule, target.timeout), (None, None));
    }

    #[test]
    fn the_endpoint_s_encoding_wins_unless_the_profile_cannot_take_it() {
        let callback = crawler_core::Callback {
            url: "http://hooks.test/in".into(),
            events: vec![EventKind::Summary],
            headers: Default::default(),
            secret: "whsec_AAAA".into(),
            payload: PayloadMode::Full,
            profile: "standard".into(),
            content_type: Some(crawler_core::ContentType::Msgpack),
            content_encoding: Some(crawler_core::ContentEncoding::Gzip),
            attempts: None,
        };
        let tenant = Tenant::new("shop", "live");
        let target = Target::from_endpoint(&Endpoint::inline(tenant.clone(), &callback));
        assert_eq!(target.encoding, Encoding::Msgpack);
        assert_eq!(target.compression, Compression::Gzip);

        let mut form = callback.clone();
        form.content_type = Some(crawler_core::ContentType::Form);
        let target = Target::from_endpoint(&Endpoint::inline(tenant.clone(), &form));
        assert_eq!(
            target.encoding,
            Encoding::Json,
            "standard bodies are not flat"
        );

        let mut scraper = form;
        scraper.profile = "webscraper".into();
        scraper.content_type = None;
        let target = Target::from_endpoint(&Endpoint::inline(tenant, &scraper));
        assert_eq!(target.profile.name, "webscraper");
        assert_eq!(target.encoding, Encoding::Form);
    }

    #[test]
    fn a_named_endpoint_brings_its_name_schedule_and_timeout() {
        let callback = crawler_core::Callback {
            url: "http://hooks.test/in".into(),
            events: vec![EventKind::Page],
            headers: Default::default(),
            secret: "whsec_AAAA".into(),
            payload: PayloadMode::Full,
            profile: "standard".into(),
            content_type: None,
            content_encoding: None,
            attempts: None,
        };
        let tenant = Tenant::new("shop", "test");
        let mut endpoint = Endpoint::inline(tenant.clone(), &callback);
        endpoint.name = Some("orders".into());
        endpoint.profile = "scrapfly".into();
        endpoint.retry_schedule_ms = Some(vec![250, 1_000]);
        endpoint.timeout_ms = Some(2_000);
        let target = Target::from_endpoint(&endpoint);
        assert_eq!(target.endpoint, EndpointKey::named(&tenant, "orders"));
        assert_eq!(target.name.as_deref(), Some("orders"));
        assert_eq!(target.profile.name, "scrapfly");
        assert_eq!(
            target.retry_schedule,
            Some(vec![Duration::from_millis(250), Duration::from_secs(1)])
        );
        assert_eq!(target.attempt_timeout(), Some(Duration::from_secs(2)));
    }
}
