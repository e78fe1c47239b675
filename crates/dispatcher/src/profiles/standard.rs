//! The `standard` profile: Standard Webhooks (<https://www.standardwebhooks.com/>) over
//! JSON bodies with ScraperAPI's field names, the format this dispatcher has always sent.
//! Retries and timeout are left to the configuration.

use crawler_core::{EventKind, WebhookEvent};

use super::{Body, Compression, DeliveryProfile, Encoding, SigningScheme};

pub static PROFILE: DeliveryProfile = DeliveryProfile {
    name: "standard",
    // The names are the `event` tags `crawler_core` serialises, so the body and this table
    // always agree.
    events: &[
        (EventKind::Started, "crawl.started"),
        (EventKind::Page, "crawl.page"),
        (EventKind::Summary, "crawl.finished"),
    ],
    shape,
    encoding: Encoding::Json,
    compression: Compression::None,
    signing: SigningScheme::StandardWebhooks,
    headers: &[],
    retry_schedule: None,
    timeout: None,
    endpoint_context: None,
};

/// The event as it is: its wire format already is what standard receivers expect.
fn shape(event: WebhookEvent) -> Body {
    Body::Event(Box::new(event))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_names_are_the_wire_format_s_tags() {
        for kind in [EventKind::Started, EventKind::Page, EventKind::Summary] {
            assert_eq!(PROFILE.event_name(kind), Some(kind.as_str()));
        }
    }

    #[test]
    fn leaves_retries_and_timeout_to_the_configuration() {
        assert!(PROFILE.retry_schedule.is_none());
        assert!(PROFILE.timeout.is_none());
        assert!(PROFILE.headers.is_empty());
    }
}
