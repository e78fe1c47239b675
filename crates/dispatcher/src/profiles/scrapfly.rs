//! The `scrapfly` profile, for receivers written for Scrapfly's webhooks
//! (<https://scrapfly.io/docs/scrape-api/webhook>): webhooks are scoped to a project and
//! an environment, and each request names them and the webhook in headers
//! (`X-Scrapfly-Webhook-Env`, `X-Scrapfly-Webhook-Project`, `X-Scrapfly-Webhook-Name`),
//! with the webhook's secret in `X-Scrapfly-Webhook-Secret` to authenticate the origin.
//! The body is the usual one plus a `context.webhook` object with the webhook's `name`
//! and `consecutive_failed_count`. Unlike Scrapfly, the body never echoes the secret: a
//! receiver that logs bodies must not leak it. The Standard Webhooks signature is sent as
//! well, so a receiver may verify the bytes too.
//!
//! Scrapfly retries after 30 s, 1 min, 5 min, 30 min, 1 h and 1 day and disables a
//! webhook after 100 failures in a row: the configured defaults, so the profile keeps them.

use crawler_core::EventKind;
use serde_json::{json, Value};

use super::{
    Body, Compression, DeliveryProfile, Encoding, EndpointContext, Recipient, SigningScheme,
};

pub static PROFILE: DeliveryProfile = DeliveryProfile {
    name: "scrapfly",
    events: &[
        (EventKind::Started, "crawl.started"),
        (EventKind::Page, "crawl.page"),
        (EventKind::Summary, "crawl.finished"),
    ],
    shape: |event| Body::Event(Box::new(event)),
    encoding: Encoding::Json,
    compression: Compression::None,
    signing: SigningScheme::StandardWebhooks,
    headers: &[],
    retry_schedule: None,
    timeout: None,
    endpoint_context: Some(EndpointContext {
        body: with_context,
        headers: identity_headers,
    }),
};

/// The body with `context.webhook` added (beside any other `context` it has).
fn with_context(body: Body, recipient: &Recipient<'_>) -> Body {
    let mut value = match body {
        Body::Event(event) => serde_json::to_value(&*event).unwrap_or(Value::Null),
        Body::Value(value) => value,
    };
    let webhook = json!({
        "name": recipient.name,
        "consecutive_failed_count": recipient.consecutive_failures,
    });
    if let Value::Object(fields) = &mut value {
        let context = fields
            .entry("context")
            .or_insert_with(|| Value::Object(Default::default()));
        if let Value::Object(context) = context {
            context.insert("webhook".into(), webhook);
        }
    }
    Body::Value(value)
}

fn identity_headers(recipient: &Recipient<'_>) -> Vec<(&'static str, String)> {
    let mut headers = vec![
        ("x-scrapfly-webhook-env", recipient.tenant.env.clone()),
        (
            "x-scrapfly-webhook-project",
            recipient.tenant.project.clone(),
        ),
        ("x-scrapfly-webhook-secret", recipient.secret.to_string()),
    ];
    if let Some(name) = recipient.name {
        headers.push(("x-scrapfly-webhook-name", name.to_string()));
    }
    headers
}

#[cfg(test)]
mod tests {
    use crawler_core::{JobId, StartedEvent, Tenant, WebhookEvent};

    use super::*;

    fn recipient(tenant: &Tenant) -> Recipient<'_> {
        Recipient {
            name: Some("orders"),
            tenant,
            secret: "whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0",
            consecutive_failures: 3,
        }
    }

    #[test]
    fn the_body_gains_the_webhook_context_and_never_the_secret() {
        let tenant = Tenant::new("shop", "test");
        let event = WebhookEvent::Started(StartedEvent {
            job_id: JobId(uuid::Uuid::nil()),
            start_url: "http://site.test/".into(),
            meta: Value::Null,
        });
        let body = with_context(Body::Event(Box::new(event)), &recipient(&tenant));
        let Body::Value(value) = body else {
            panic!("a value body")
        };
        assert_eq!(value["event"], "crawl.started");
        assert_eq!(value["startUrl"], "http://site.test/");
        assert_eq!(
            value["context"]["webhook"],
            json!({"name": "orders", "consecutive_failed_count": 3})
        );
        assert!(!value.to_string().contains("c2VjcmV0"));
    }

    #[test]
    fn headers_name_the_environment_project_webhook_and_secret() {
        let tenant = Tenant::new("shop", "test");
        let headers = identity_headers(&recipient(&tenant));
        let get = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("x-scrapfly-webhook-env"), Some("test"));
        assert_eq!(get("x-scrapfly-webhook-project"), Some("shop"));
        assert_eq!(get("x-scrapfly-webhook-name"), Some("orders"));
        assert_eq!(
            get("x-scrapfly-webhook-secret"),
            Some("whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0")
        );
    }
}
