use super::*;

/// A crawl's spec as records stored before job kinds existed hold it.
const STORED_CRAWL: &str = r#"{"start_url":"https://example.com/","url_regexp_include":".*","max_depth":2,"api_params":{"follow_redirect":true,"retry_404":false,"keep_headers":false},"meta":null,"timeout_sec":60,"scope":"host","follow_nofollow":false,"ignore_query_parameters":false,"respect_robots_txt":true}"#;

#[test]
fn a_stored_crawl_reads_as_a_crawl_and_writes_back_unchanged() {
    let spec: JobSpec = serde_json::from_str(STORED_CRAWL).unwrap();
    assert_eq!(spec.kind, JobKind::Crawl);
    assert!(spec.urls.is_empty());
    assert_eq!(serde_json::to_string(&spec).unwrap(), STORED_CRAWL);
    assert_eq!(spec.seed_urls(), vec!["https://example.com/"]);
}

#[test]
fn other_kinds_keep_their_kind_and_urls() {
    let mut batch: JobSpec = serde_json::from_str(STORED_CRAWL).unwrap();
    batch.kind = JobKind::Batch;
    batch.urls = vec!["https://a.example/".into(), "https://b.example/".into()];
    let json = serde_json::to_value(&batch).unwrap();
    assert_eq!(json["kind"], "batch");
    assert_eq!(json["urls"][1], "https://b.example/");
    let again: JobSpec = serde_json::from_value(json).unwrap();
    assert_eq!(again, batch);
    assert_eq!(
        batch.seed_urls(),
        vec!["https://a.example/", "https://b.example/"]
    );

    let mut fetch = batch.clone();
    fetch.kind = JobKind::Fetch;
    assert_eq!(fetch.seed_urls(), vec!["https://example.com/"]);
}

#[test]
fn events_are_published_for_a_callback_s_kinds_and_every_kind_of_a_named_endpoint() {
    let mut spec: JobSpec = serde_json::from_str(STORED_CRAWL).unwrap();
    assert!(!spec.publishes(EventKind::Page), "no webhook, no events");
    spec.callback = Some(Callback {
        url: "http://hook.test/".into(),
        events: vec![EventKind::Summary],
        headers: BTreeMap::new(),
        secret: "whsec_x".into(),
        payload: PayloadMode::Full,
        profile: STANDARD_PROFILE.into(),
        content_type: None,
        content_encoding: None,
        attempts: None,
    });
    assert!(spec.publishes(EventKind::Page) && spec.publishes(EventKind::Summary));
    assert!(!spec.publishes(EventKind::Started));
    spec.callback = None;
    spec.webhook_name = Some("hooks".into());
    for kind in [EventKind::Started, EventKind::Page, EventKind::Summary] {
        assert!(spec.publishes(kind), "{kind:?}");
    }
}

#[test]
fn a_tenant_and_a_webhook_name_round_trip_and_old_records_read_as_the_default_tenant() {
    let old: JobSpec = serde_json::from_str(STORED_CRAWL).unwrap();
    assert!(old.tenant.is_default());
    assert_eq!(old.webhook_name, None);
    let mut named = old.clone();
    named.tenant = Tenant::new("shop", "test");
    named.webhook_name = Some("orders".into());
    let json = serde_json::to_value(&named).unwrap();
    assert_eq!(
        json["tenant"],
        serde_json::json!({"project": "shop", "env": "test"})
    );
    assert_eq!(json["webhook_name"], "orders");
    assert_eq!(serde_json::from_value::<JobSpec>(json).unwrap(), named);
}
