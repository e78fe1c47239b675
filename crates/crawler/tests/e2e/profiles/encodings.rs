//! Body encodings on the wire: msgpack and form bodies, gzip-compressed, decoded the way
//! a receiver would (gunzip, then MessagePack or form decoding), and their Standard
//! Webhooks signatures checked over the exact bytes received; and the choices refused.

use std::io::Read;

use crawler_testkit::cluster::{Cluster, Deployment, API_KEY};
use crawler_testkit::receiver::{signature_is_valid, Received};
use crawler_testkit::site::{PageKind, SiteGraph, TestSite};
use serde_json::{json, Value};

use super::inbox::{Answer, Inbox, Request};
use super::{settings, submit, wait_ended, WAIT};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwMfKQ9r8G";

fn verified(request: &Request) -> bool {
    let received = Received {
        headers: request.headers.clone(),
        body: request.body.clone(),
        at: request.at,
        status: 200,
    };
    signature_is_valid(SECRET, &received)
}

fn gunzip(request: &Request) -> Vec<u8> {
    assert_eq!(request.header("content-encoding"), Some("gzip"));
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(&request.body[..])
        .read_to_end(&mut plain)
        .expect("a gzip body");
    plain
}

async fn gzipped_msgpack_and_form_bodies_decode_and_verify(deployment: Deployment) {
    let _machine = crate::beside_others().await;
    let site = TestSite::serve(
        SiteGraph::default()
            .page("/", PageKind::Html(vec!["/a".into()]))
            .page("/a", PageKind::raw_html("<p>packed</p>")),
    )
    .await;
    let packed = Inbox::start(|_, _| Answer::Status(200)).await;
    let form = Inbox::start(|_, _| Answer::Status(200)).await;
    let cluster = Cluster::start(crawler_testkit::binaries!(), deployment, &settings()).await;
    let job = submit(
        &cluster,
        json!({
            "start_url": site.url("/"),
            "max_depth": 1,
            "callback": {"type": "webhook", "url": packed.url, "secret": SECRET,
                         "content_type": "msgpack", "content_encoding": "gzip"},
        }),
    )
    .await;
    let requests = packed
        .wait_until(WAIT, "the summary", |r| r.len() >= 3)
        .await;
    let mut events = Vec::new();
    for request in &requests {
        assert_eq!(request.header("content-type"), Some("application/msgpack"));
        assert!(
            verified(request),
            "the signature covers the compressed bytes sent"
        );
        let value: Value = rmp_serde::from_slice(&gunzip(request)).expect("MessagePack");
        assert_eq!(value["jobId"], job.as_str());
        events.push(value);
    }
    let page = events
        .iter()
        .find(|e| e["url"] == site.url("/a"))
        .expect("the page event of /a");
    assert_eq!(page["event"], "crawl.page");
    assert_eq!(page["response"]["body"], "<p>packed</p>");
    assert!(events.iter().any(|e| e["event"] == "crawl.finished"));

    let scraper_job = submit(&cluster, json!({
        "start_url": site.url("/"),
        "max_depth": 0,
        "custom_id": 77,
        "callback": {"type": "webhook", "url": form.url, "secret": SECRET,
                     "profile": "webscraper", "content_type": "form", "content_encoding": "gzip"},
    }))
    .await;
    let requests = form
        .wait_until(WAIT, "the notification", |r| !r.is_empty())
        .await;
    assert!(verified(&requests[0]));
    let fields: Vec<(String, String)> =
        serde_urlencoded::from_bytes(&gunzip(&requests[0])).expect("a form");
    assert!(
        fields.contains(&("scrapingjob_id".into(), scraper_job.clone())),
        "{fields:?}"
    );
    assert!(
        fields.contains(&("custom_id".into(), "77".into())),
        "{fields:?}"
    );
    wait_ended(&cluster, &scraper_job).await;
}

async fn bad_profile_and_encoding_choices_are_refused_naming_the_field(deployment: Deployment) {
    let _machine = crate::beside_others().await;
    let cluster = Cluster::start(crawler_testkit::binaries!(), deployment, &settings()).await;
    let hook = |extra: Value| {
        let mut callback = json!({"type": "webhook", "url": "http://127.0.0.1:9/hook"});
        for (k, v) in extra.as_object().unwrap() {
            callback[k] = v.clone();
        }
        callback
    };
    let cases = [
        (
            json!({"callback": hook(json!({"content_type": "xml"}))}),
            "callback.content_type",
        ),
        (
            json!({"callback": hook(json!({"content_encoding": "br"}))}),
            "callback.content_encoding",
        ),
        (
            json!({"callback": hook(json!({"profile": "nope"}))}),
            "callback.profile",
        ),
        (
            json!({"callback": hook(json!({"content_type": "form"}))}),
            "callback.content_type",
        ),
        (
            json!({"webhook": {"url": "http://127.0.0.1:9/hook", "content_type": "form"}}),
            "webhook.content_type",
        ),
        (
            json!({"webhook": {"url": "http://127.0.0.1:9/hook", "events": ["scraper.nope"]}}),
            "webhook.events",
        ),
        (
            json!({"webhook": {"url": "http://127.0.0.1:9/hook"}, "callback": hook(json!({}))}),
            "webhook",
        ),
    ];
    let client = reqwest::Client::new();
    for (extra, field) in cases {
        let mut body = json!({"start_url": "http://127.0.0.1:9/", "max_depth": 0});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let response = client
            .post(format!("{}/v1/crawls", cluster.api))
            .header("x-api-key", API_KEY)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 400, "{body}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"]["field"], field, "{error}");
    }
    let (_, listing) = cluster.get("/v1/crawls").await;
    assert_eq!(listing["total"], 0, "nothing was queued: {listing}");
}

on_both_deployments!(
    gzipped_msgpack_and_form_bodies_decode_and_verify,
    bad_profile_and_encoding_choices_are_refused_naming_the_field,
);
