//! What a webhook carries of a page's body.
//!
//! A page body is sent inline up to `webhook_inline_body_limit`; a larger one, or any body
//! when the job asked for `payload: thin`, is left out: the event then says
//! `bodyTruncated: true`, gives the size and a `bodyUrl` on the coordinator, and the full
//! body is stored for `body_retention_sec` so that link works.

use crawler_core::{JobId, PayloadMode, WebhookEvent};
pub use crawler_deliveries::StoredBody;

/// An event made ready to send, and the body to store first when one was left out.
#[derive(Debug, Clone, PartialEq)]
pub struct Shaped {
    pub event: WebhookEvent,
    pub stored_body: Option<StoredBody>,
}

/// The link the coordinator serves a stored body under.
pub fn body_url(public_base: &str, job: JobId, page_url: &str) -> String {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("url", page_url)
        .finish();
    format!(
        "{}/v1/crawls/{job}/pages?{query}",
        public_base.trim_end_matches('/')
    )
}

/// Leaves the body out of a page event when it is over `inline_limit` bytes or the job
/// wants thin payloads. Other events pass unchanged.
pub fn shape(
    event: &WebhookEvent,
    mode: PayloadMode,
    inline_limit: u64,
    public_base: &str,
) -> Shaped {
    let mut event = event.clone();
    let WebhookEvent::Page(page) = &mut event else {
        return Shaped {
            event,
            stored_body: None,
        };
    };
    let Some(response) = page.response.as_mut() else {
        return Shaped {
            event,
            stored_body: None,
        };
    };
    // The inline size is what the body adds to the request: the text, or the base64 form.
    let inline_len = match (&response.body, &response.base64_encoded_body) {
        (Some(text), _) => Some(text.len() as u64),
        (None, Some(encoded)) => Some(encoded.len() as u64),
        (None, None) => None,
    };
    let Some(inline_len) = inline_len else {
        return Shaped {
            event,
            stored_body: None,
        };
    };
    if mode == PayloadMode::Full && inline_len <= inline_limit {
        return Shaped {
            event,
            stored_body: None,
        };
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
    Shaped {
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
    use crawler_core::{PageEvent, PageResponse};

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
        })
    }

    fn response(shaped: &Shaped) -> &PageResponse {
        match &shaped.event {
            WebhookEvent::Page(p) => p.response.as_ref().unwrap(),
            _ => panic!("not a page"),
        }
    }

    #[test]
    fn small_bodies_stay_inline() {
        let event = page(Some("hello"), None);
        let shaped = shape(&event, PayloadMode::Full, 5, "http://api");
        assert_eq!(shaped.event, event);
        assert!(shaped.stored_body.is_none());
    }

    #[test]
    fn large_bodies_are_replaced_by_a_link() {
        let shaped = shape(
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
        let shaped = shape(
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
}
