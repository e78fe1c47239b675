//! The `callback` object.

use crawler_core::{EventKind, PayloadMode};
use serde_json::{json, Value};

use super::*;

#[test]
fn callback_defaults_and_generated_secret() {
    let spec = accept(json!({"callback": {"type": "webhook", "url": "https://hooks.example/x"}}));
    let callback = spec.callback.unwrap();
    assert_eq!(callback.url, "https://hooks.example/x");
    assert_eq!(callback.events, vec![EventKind::Page, EventKind::Summary]);
    assert_eq!(callback.payload, PayloadMode::Full);
    let key = callback
        .secret
        .strip_prefix("whsec_")
        .expect("whsec_ prefix");
    assert_eq!(
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, key)
            .unwrap()
            .len(),
        32
    );
    let again = accept(json!({"callback": {"type": "webhook", "url": "https://hooks.example/x"}}));
    assert_ne!(
        again.callback.unwrap().secret,
        callback.secret,
        "secrets are random"
    );
}

#[test]
fn callback_options_are_kept() {
    let secret = format!(
        "whsec_{}",
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, [7u8; 24])
    );
    let spec = accept(json!({"callback": {
        "type": "webhook", "url": "http://hooks.example/x",
        "events": ["crawl.finished", "crawl.started", "crawl.finished"],
        "headers": {"Authorization": "Bearer t"}, "secret": secret, "payload": "thin",
    }}));
    let callback = spec.callback.unwrap();
    assert_eq!(
        callback.events,
        vec![EventKind::Started, EventKind::Summary]
    );
    assert_eq!(
        callback.headers.get("authorization").map(String::as_str),
        Some("Bearer t")
    );
    assert_eq!(callback.secret, secret);
    assert_eq!(callback.payload, PayloadMode::Thin);
}

#[test]
fn callback_fields_are_checked() {
    let cb = |extra: Value| {
        let mut callback = json!({"type": "webhook", "url": "https://hooks.example/"});
        for (k, v) in extra.as_object().unwrap() {
            callback[k] = v.clone();
        }
        json!({ "callback": callback })
    };
    assert_bad(
        json!({"callback": "https://hooks.example/"}),
        "callback",
        "object",
    );
    assert_bad(cb(json!({"type": "email"})), "callback.type", "webhook");
    assert_bad(
        json!({"callback": {"url": "https://hooks.example/"}}),
        "callback.type",
        "required",
    );
    assert_bad(
        cb(json!({"url": "ftp://hooks.example/"})),
        "callback.url",
        "http or https",
    );
    assert_bad(
        cb(json!({"url": "not a url"})),
        "callback.url",
        "not a valid URL",
    );
    assert_bad(
        cb(json!({"events": ["crawl.page", "page.crawled"]})),
        "callback.events",
        "page.crawled",
    );
    assert_bad(cb(json!({"events": []})), "callback.events", "at least one");
    assert_bad(
        cb(json!({"headers": {"bad header": "x"}})),
        "callback.headers",
        "not a valid header name",
    );
    assert_bad(
        cb(json!({"headers": {"Content-Type": "text/plain"}})),
        "callback.headers",
        "cannot be set",
    );
    assert_bad(
        cb(json!({"headers": {"webhook-id": "x"}})),
        "callback.headers",
        "cannot be set",
    );
    assert_bad(
        cb(json!({"headers": {"x-n": 1}})),
        "callback.headers",
        "must be a string",
    );
    assert_bad(
        cb(json!({"headers": {"x-n": "a\nb"}})),
        "callback.headers",
        "not a valid header value",
    );
    assert_bad(cb(json!({"secret": "s3cret"})), "callback.secret", "whsec_");
    assert_bad(
        cb(json!({"secret": "whsec_!!!"})),
        "callback.secret",
        "whsec_",
    );
    assert_bad(
        cb(json!({"secret": "whsec_c2hvcnQ="})),
        "callback.secret",
        "24 to 64 bytes",
    );
    assert_bad(
        cb(json!({"payload": "half"})),
        "callback.payload",
        "full, thin",
    );
}
