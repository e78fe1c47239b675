//! Keys made by `crawler keys new` and configured as digests, and the placeholder refusal.

use std::process::Command;

use super::*;

const PEPPER: &str = "e2e-pepper-9f2c41";

/// Runs `crawler keys new` with `pepper` and returns the key and the entry it printed.
fn new_key(pepper: &str, args: &[&str]) -> (String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_crawler"))
        .args(["keys", "new"])
        .args(args)
        .env("CRAWLER_API_KEY_PEPPER", pepper)
        .output()
        .expect("run crawler keys new");
    assert!(output.status.success(), "{output:?}");
    let printed = String::from_utf8(output.stdout).expect("UTF-8");
    let line_starting = |prefix: &str| {
        printed
            .lines()
            .map(str::trim)
            .find(|line| line.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} line in:\n{printed}"))
            .to_string()
    };
    assert!(
        !printed.contains("generated"),
        "the configured pepper was used: {printed}"
    );
    (line_starting("ck_"), line_starting("sha256hmac:"))
}

#[tokio::test]
async fn a_generated_key_is_admitted_by_its_hashed_entry_with_its_plan() {
    let _machine = crate::beside_others().await;
    let (key, entry) = new_key(PEPPER, &["--plan", "free"]);
    assert!(!entry.contains(&key));
    let settings = [
        ("CRAWLER_API_KEYS", entry),
        ("CRAWLER_API_KEY_PEPPER", PEPPER.to_string()),
    ];
    let api = start_with(&services::unique_namespace(), true, &settings).await;
    let id = api.submit_ok(&key, job("http://127.0.0.1:9/")).await;
    let (status, answer) = api.get(&format!("/v1/crawls/{id}"), &key).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    // The entry carries the free plan.
    let deep = json!({"start_url": "http://127.0.0.1:9/", "max_depth": 5});
    let (status, answer) = api.submit(&key, deep).await;
    assert_eq!(
        (status, answer["error"]["field"].as_str()),
        (StatusCode::FORBIDDEN, Some("max_depth")),
        "{answer}"
    );
    // A key one character off is unknown.
    let mut near = key.clone();
    near.pop();
    near.push(if key.ends_with('0') { '1' } else { '0' });
    let (status, _) = api.submit(&near, job("http://127.0.0.1:9/")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(!api._process.logs().contains(&key), "the key was logged");
}

#[tokio::test]
async fn a_hashed_entry_made_under_another_pepper_admits_nothing() {
    let _machine = crate::beside_others().await;
    let (key, entry) = new_key("some-other-pepper", &[]);
    let settings = [
        ("CRAWLER_API_KEYS", entry),
        ("CRAWLER_API_KEY_PEPPER", PEPPER.to_string()),
    ];
    let api = start_with(&services::unique_namespace(), true, &settings).await;
    let (status, answer) = api.submit(&key, job("http://127.0.0.1:9/")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{answer}");
}

#[tokio::test]
async fn a_placeholder_key_stops_the_coordinator_unless_it_is_a_demo() {
    let _machine = crate::beside_others().await;
    services::require_services().await;
    let namespace = services::unique_namespace();
    let placeholder = [("CRAWLER_API_KEYS", "change-me".to_string())];
    let env = coordinator_env(&namespace, true, &placeholder);
    let refused = RoleProcess::spawn("coordinator", env!("CARGO_BIN_EXE_coordinator"), &env);
    let code = refused.wait_exit(Duration::from_secs(20)).await;
    assert_ne!(code, Some(0), "the coordinator started with `change-me`");
    let logs = refused.logs();
    assert!(
        logs.contains("change-me") && logs.contains("crawler keys new"),
        "the refusal names the placeholder and the way out: {logs}"
    );

    let demo = [
        ("CRAWLER_API_KEYS", "change-me".to_string()),
        ("CRAWLER_DEMO", "true".to_string()),
    ];
    let api = start_with(&namespace, true, &demo).await;
    api.submit_ok("change-me", job("http://127.0.0.1:9/")).await;
}
