use super::*;

fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.insert(*name, value.parse().unwrap());
    }
    map
}

#[test]
fn json_types_are_json_and_form_types_are_not() {
    for json in [
        "application/json",
        "Application/JSON; charset=utf-8",
        "application/merge-patch+json",
    ] {
        assert!(is_json(&headers(&[("content-type", json)])), "{json}");
    }
    for other in [
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "text/plain",
        "text/json+x",
    ] {
        assert!(!is_json(&headers(&[("content-type", other)])), "{other}");
    }
    assert!(!is_json(&HeaderMap::new()));
}

#[test]
fn a_body_is_announced_by_its_length_or_chunks() {
    assert!(has_body(&headers(&[("content-length", "2")])));
    assert!(!has_body(&headers(&[("content-length", "0")])));
    assert!(has_body(&headers(&[("transfer-encoding", "chunked")])));
    assert!(!has_body(&HeaderMap::new()));
}

#[test]
fn loopback_hosts_and_pages_are_local_and_others_are_not() {
    for host in [
        "localhost:8080",
        "127.0.0.1:8080",
        "[::1]:8080",
        "app.localhost",
        "127.0.0.1",
    ] {
        assert!(
            foreign_caller(&headers(&[("host", host)])).is_none(),
            "{host}"
        );
    }
    let local_page = headers(&[
        ("host", "127.0.0.1:8080"),
        ("origin", "http://localhost:3000"),
    ]);
    assert!(foreign_caller(&local_page).is_none());

    let rebound = foreign_caller(&headers(&[("host", "evil.example:8080")])).unwrap();
    assert_eq!(
        (rebound.status, rebound.field.as_deref()),
        (StatusCode::FORBIDDEN, Some("host"))
    );
    for origin in ["https://evil.example", "null"] {
        let page = headers(&[("host", "127.0.0.1:8080"), ("origin", origin)]);
        let refused = foreign_caller(&page).expect(origin);
        assert_eq!(refused.field.as_deref(), Some("origin"), "{origin}");
    }
    let cross = headers(&[("host", "localhost"), ("sec-fetch-site", "cross-site")]);
    assert!(foreign_caller(&cross).is_some());
    assert!(
        foreign_caller(&HeaderMap::new()).is_some(),
        "no Host at all"
    );
}
