use super::*;

const PEPPER: &str = "pepper-for-tests";

fn of<'k>(keys: &'k ApiKeys, key: &str) -> &'k ApiKey {
    keys.lookup(key, PEPPER).expect("a known key")
}

#[test]
fn every_part_after_the_key_has_a_default() {
    let keys = ApiKeys::parse("a, b:free, c:paid:shop, d:free:shop:test").unwrap();
    assert_eq!(
        (of(&keys, "a").plan, of(&keys, "a").tenant.clone()),
        (Plan::Paid, Tenant::default())
    );
    assert_eq!(of(&keys, "b").plan, Plan::Free);
    assert!(of(&keys, "b").tenant.is_default());
    assert_eq!(of(&keys, "c").tenant, Tenant::new("shop", "live"));
    assert_eq!(
        (of(&keys, "d").plan, of(&keys, "d").tenant.clone()),
        (Plan::Free, Tenant::new("shop", "test"))
    );
    assert!(keys.lookup("nope", PEPPER).is_none());
}

#[test]
fn bad_entries_are_refused_with_the_reason() {
    for (text, reason) in [
        (":paid", "empty"),
        ("k:gold", "unknown plan"),
        ("k:paid:my shop", "invalid project"),
        ("k:paid:shop:", "invalid environment"),
        ("k:paid:shop:live:extra", "more than"),
        ("sha256hmac:abcd:paid", "64 hex digits"),
        ("sha256hmac:zz:paid", "64 hex digits"),
    ] {
        let error = ApiKeys::parse(text).unwrap_err();
        assert!(error.contains(reason), "{text}: {error}");
    }
}

#[test]
fn a_digest_entry_admits_its_key_under_its_pepper_only() {
    let entry = digest_entry(PEPPER, "k-123", Plan::Free, &Tenant::new("shop", "test"));
    assert!(entry.starts_with("sha256hmac:"), "{entry}");
    assert!(!entry.contains("k-123"), "{entry}");
    assert!(entry.ends_with(":free:shop:test"), "{entry}");
    let keys = ApiKeys::parse(&entry).unwrap();
    let known = of(&keys, "k-123");
    assert_eq!(
        (known.plan, known.tenant.clone()),
        (Plan::Free, Tenant::new("shop", "test"))
    );
    assert!(keys.lookup("k-123", "another pepper").is_none());
    assert!(keys.lookup("k-124", PEPPER).is_none());
    assert!(keys.has_digests());
}

#[test]
fn the_default_tenant_is_left_out_of_an_entry() {
    let entry = digest_entry(PEPPER, "k", Plan::Paid, &Tenant::default());
    assert_eq!(entry.matches(':').count(), 2, "{entry}");
    assert!(entry.ends_with(":paid"));
}

#[test]
fn sealing_keeps_every_key_working_and_no_key_in_memory() {
    let mut keys = ApiKeys::parse("plain-one:free,plain-two").unwrap();
    keys.seal(PEPPER);
    assert_eq!(of(&keys, "plain-one").plan, Plan::Free);
    assert_eq!(of(&keys, "plain-two").plan, Plan::Paid);
    let printed = format!("{keys:?}");
    assert!(!printed.contains("plain-one"), "{printed}");
    assert!(keys.has_digests());
}

#[test]
fn placeholders_are_found_among_plain_keys() {
    assert_eq!(
        ApiKeys::parse("good-key,change-me:free")
            .unwrap()
            .placeholder(),
        Some("change-me")
    );
    assert_eq!(ApiKeys::parse("good-key").unwrap().placeholder(), None);
}
