//! `crawler serve` without keys cannot be driven by a web page: not by a cross-site form
//! post, not by a page of another site, not through a rebound host name.

use reqwest::StatusCode;
use serde_json::json;

use super::start_serve;

#[tokio::test]
async fn a_web_page_cannot_drive_crawler_serve() {
    let _machine = crate::beside_others().await;
    let (_serve, api) = start_serve().await;
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let crawls = format!("{api}/v1/crawls");
    let job = json!({"start_url": "http://127.0.0.1:9/", "max_depth": 1});

    // What an HTML form on any site can send without asking first.
    let form = client
        .post(&crawls)
        .header("origin", "https://evil.example")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("start_url=http%3A%2F%2F127.0.0.1%3A9%2F")
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), StatusCode::FORBIDDEN);
    // Even from a local page, a body that is not JSON is refused.
    let text = client
        .post(&crawls)
        .header("content-type", "text/plain")
        .body(job.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(text.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // A page of another site, even with a JSON body.
    let cross_site = client
        .post(&crawls)
        .header("origin", "https://evil.example")
        .json(&job)
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);
    // A rebinding name that resolves to this machine.
    let rebound = client
        .get(&crawls)
        .header("host", "rebind.evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(rebound.status(), StatusCode::FORBIDDEN);

    // None of them made a job; this machine's own programs still can.
    let listed: serde_json::Value = client
        .get(&crawls)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["total"], 0, "{listed}");
    let accepted = client.post(&crawls).json(&job).send().await.unwrap();
    assert_eq!(accepted.status(), StatusCode::CREATED);
}
