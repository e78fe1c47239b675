//! Step 2: the body value a receiver gets.
//!
//! First what every profile shares, what a webhook carries of a page's body: a body is
//! sent inline up to `webhook_inline_body_limit`; a larger one, or any body when the
//! target asked for `payload: thin`, is left out. The event then says
//! `bodyTruncated: true`, gives the size and a `bodyUrl` on the coordinator, and the full
//! body is stored for `body_retention_sec` so that link works. Then the profile's shaping
//! function turns the event into the body value its receivers expect, and the profile's
//! endpoint context, when it has one, adds what it tells about the endpoint.

use crawler_core::{PayloadMode, WebhookEvent};

use crate::encoding::Body;
use crate::payload::{body_url, StoredBody};
use crate::target::Target;

/// A body value ready to encode, and the page body to store first when one was left out.
#[derive(Debug, Clone, PartialEq)]
pub struct Shaped {
    pub body: Body,
    pub stored_body: Option<StoredBody>,
}

pub fn shape(
    target: &Target,
    event: &WebhookEvent,
    inline_limit: u64,
    public_base: &str,
) -> Shaped {
    let thinned = leave_out_body(event, target.payload, inline_limit, public_base);
    let mut body = (target.profile.shape)(thinned.event);
    if let Some(context) = target.profile.endpoint_context {
        body = (context.body)(body, &target.recipient());
    }
    Shaped {
        body,
        stored_body: thinned.stored_body,
    }
}

/// An event with its page body left out or kept, and the body to store when left out.
#[derive(Debug, Clone, PartialEq)]
struct Thinned {
    event: WebhookEvent,
    stored_body: Option<StoredBody>,
}

impl Thinned {
    fn unchanged(event: WebhookEvent) -> Self {
        Thinned {
            event,
            stored_body: None,
        }
    }
}

/// Leaves the body out of a page event when it is over `inline_limit` bytes or the target
/// wants thin payloads. Other events pass unchanged.
fn leave_out_body(
    event: &WebhookEvent,
    mode: PayloadMode,
    inline_limit: u64,
    public_base: &str,
) -> Thinned {
    let mut event = event.clone();
    let WebhookEvent::Page(page) = &mut event else {
        return Thinned::unchanged(event);
    };
    let Some(response) = page.response.as_mut() else {
        return Thinned::unchanged(event);
    };
    // The inline size is what the body adds to the request: the text, or the base64 form.
    let inline_len = match (&response.body, &response.base64_encoded_body) {
        (Some(text), _) => text.len() as u64,
        (None, Some(encoded)) => encoded.len() as u64,
        (None, None) => return Thinned::unchanged(event),
    };
    if mode == PayloadMode::Full && inline_len <= inline_limit {
        return Thinned::unchanged(event);
    }
    let content_type = response
        .headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-type"))
        .map(|(_, value)| value.clone());
    let stored = StoredBody {
        url: page.url.clone(),
        content_type,
        body: response.body.take(),
        base64_encoded_body: response.base64_encoded_body.take(),
    };
    if response.body_size == 0 {
        response.body_size = fetched_size(&stored);
    }
    response.body_truncated = true;
    response.body_url = Some(body_url(public_base, page.job_id, &page.url));
    Thinned {
        event,
        stored_body: Some(stored),
    }
}

/// The size of the body as fetched, for events whose worker did not fill `bodySize`.
fn fetched_size(body: &StoredBody) -> u64 {
    match (&body.body, &body.base64_encoded_body) {
        (Some(text), _) => text.len() as u64,
        (None, Some(encoded)) => {
            let padding = encoded.bytes().rev().take_while(|b| *b == b'=').count();
            (encoded.len() / 4 * 3).saturating_sub(padding) as u64
        }
        (None, None) => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crawler_core::{JobId, PageEvent, PageResponse};

    fn page(body: Option<&str>, base64: Option<&str>) -> WebhookEvent {
        WebhookEvent::Page(PageEvent {
            job_id: JobId(uuid::Uuid::nil()),
            url: "http://site.test/a b?x=1&y=2".into(),
            final_url: None,
            status: "finished".into(),
            credits: 1,
            attempts: 1,
            start_url: "http://site.test/".into(),
            current_depth: 0,
            current_cost: 1,
            fail_reason: None,
            response: Some(PageResponse {
                status_code: 200,
                headers: [("Content-Type".to_string(), "text/html".to_string())].into(),
                body: body.map(String::from),
                base64_encoded_body: base64.map(String::from),
                ..Default::default()
            }),
            meta: serde_json::Value::Null,
            async_job: None,
        })
    }

    fn response(shaped: &Thinned) -> &PageResponse {
        match &shaped.event {
            WebhookEvent::Page(p) => p.response.as_ref().unwrap(),
            _ => panic!("not a page"),
        }
    }

    #[test]
    fn small_bodies_stay_inline() {
        let event = page(Some("hello"), None);
        let shaped = leave_out_body(&event, PayloadMode::Full, 5, "http://api");
        assert_eq!(shaped.event, event);
        assert!(shaped.stored_body.is_none());
    }

    #[test]
    fn large_bodies_are_replaced_by_a_link() {
        let shaped = leave_out_body(
            &page(Some("hello!"), None),
            PayloadMode::Full,
            5,
            "http://api/",
        );
        let r = response(&shaped);
        assert!(r.body_truncated && r.body.is_none());
        assert_eq!(r.body_size, 6);
        let nil = uuid::Uuid::nil();
        assert_eq!(
            r.body_url.as_deref(),
            Some(format!("http://api/v1/crawls/{nil}/pages?url=http%3A%2F%2Fsite.test%2Fa+b%3Fx%3D1%26y%3D2").as_str())
        );
        let stored = shaped.stored_body.unwrap();
        assert_eq!(stored.body.as_deref(), Some("hello!"));
        assert_eq!(stored.content_type.as_deref(), Some("text/html"));
    }

    #[test]
    fn thin_payload_drops_even_small_binary_bodies() {
        let shaped = leave_out_body(
            &page(None, Some("AAEC")),
            PayloadMode::Thin,
            1 << 20,
            "http://api",
        );
        let r = response(&shaped);
        assert!(r.body_truncated && r.base64_encoded_body.is_none());
        assert_eq!(r.body_size, 3);
        assert_eq!(
            shaped.stored_body.unwrap().base64_encoded_body.as_deref(),
            Some("AAEC")
        );
    }

    #[test]
    fn the_profile_shapes_the_thinned_event() {
        let mut target = crate::pipeline::tests::target();
        target.payload = PayloadMode::Thin;
        let event = page(Some("hello"), None);
        let shaped = shape(&target, &event, 1 << 20, "http://api");
        let thinned = leave_out_body(&event, PayloadMode::Thin, 1 << 20, "http://api");
        assert_eq!(shaped.body, Body::Event(Box::new(thinned.event)));
        assert_eq!(shaped.stored_body, thinned.stored_body);
    }
}
