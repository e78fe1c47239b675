//! `profile`, `content_type` and `content_encoding` on a callback, HasData's `webhook`
//! object, and the job's `name` and `custom_id`.

use crawler_core::{ContentEncoding, ContentType, EventKind};
use serde_json::json;

use super::*;

#[test]
fn a_callback_keeps_its_profile_and_encoding_choices() {
    let spec = accept(json!({"callback": {
        "type": "webhook", "url": "https://hooks.example/x",
        "profile": "webscraper", "content_type": "form", "content_encoding": "gzip",
    }}));
    let callback = spec.callback.unwrap();
    assert_eq!(callback.profile, "webscraper");
    assert_eq!(callback.content_type, Some(ContentType::Form));
    assert_eq!(callback.content_encoding, Some(ContentEncoding::Gzip));

    let plain = accept(json!({"callback": {"type": "webhook", "url": "https://hooks.example/x"}}));
    let callback = plain.callback.unwrap();
    assert_eq!(callback.profile, "standard");
    assert_eq!(
        (callback.content_type, callback.content_encoding),
        (None, None)
    );
}

#[test]
fn hasdata_s_webhook_object_is_a_hasdata_callback_with_its_event_names() {
    let spec = accept(json!({"webhook": {
        "url": "https://hooks.example/hd",
        "events": ["scraper.job.finished", "scraper.data.scraped", "scraper.job.started"],
        "headers": {"x-api-key": "receiver-token"},
    }}));
    let callback = spec.callback.unwrap();
    assert_eq!(callback.profile, "hasdata");
    assert_eq!(
        callback.events,
        vec![EventKind::Started, EventKind::Page, EventKind::Summary]
    );
    assert_eq!(callback.headers["x-api-key"], "receiver-token");
    assert!(callback.secret.starts_with("whsec_"));
}

#[test]
fn bad_choices_are_refused_naming_the_field() {
    let hook = |extra: serde_json::Value| {
        let mut callback = json!({"type": "webhook", "url": "https://hooks.example/"});
        for (k, v) in extra.as_object().unwrap() {
            callback[k] = v.clone();
        }
        json!({"callback": callback})
    };
    assert_bad(
        hook(json!({"profile": "nope"})),
        "callback.profile",
        "standard, scrapfly, hasdata, webscraper",
    );
    assert_bad(hook(json!({"profile": 3})), "callback.profile", "string");
    assert_bad(
        hook(json!({"content_type": "xml"})),
        "callback.content_type",
        "json, msgpack, form",
    );
    assert_bad(
        hook(json!({"content_type": "form"})),
        "callback.content_type",
        "not flat",
    );
    assert_bad(
        hook(json!({"content_encoding": "br"})),
        "callback.content_encoding",
        "identity, gzip",
    );
    assert_bad(
        hook(json!({"events": ["scraper.data.scraped"]})),
        "callback.events",
        "crawl.page",
    );
    assert_bad(
        json!({"webhook": {"url": "https://hooks.example/", "content_type": "form"}}),
        "webhook.content_type",
        "hasdata",
    );
    assert_bad(
        json!({"webhook": {"events": []}}),
        "webhook.url",
        "webhook.url is required",
    );
    assert_bad(
        json!({"webhook": "https://hooks.example/"}),
        "webhook",
        "object",
    );
    assert_bad(
        json!({"webhook": {"url": "https://a.example/"}, "callback": {"type": "webhook", "url": "https://b.example/"}}),
        "webhook",
        "not both",
    );
}

#[test]
fn name_and_custom_id_are_short_texts_and_numbers_keep_their_digits() {
    let spec = accept(json!({"name": "my-sitemap", "custom_id": 1234}));
    assert_eq!(spec.name.as_deref(), Some("my-sitemap"));
    assert_eq!(spec.custom_id.as_deref(), Some("1234"));
    assert_bad(
        json!({"custom_id": "x".repeat(257)}),
        "custom_id",
        "at most 256",
    );
    assert_bad(json!({"name": ["x"]}), "name", "string");
}
