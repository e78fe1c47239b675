//! A crawl whose events go to a named endpoint, on both deployments: the distributed roles
//! as processes over RabbitMQ and Redis (the coordinator stores the endpoint, the
//! dispatcher process reads it), and `crawler serve` on its in-memory stores.

use std::time::Duration;

use crawler_testkit::cluster::{Cluster, Deployment};
use crawler_testkit::receiver::Receiver;
use crawler_testkit::site::{SiteGraph, TestSite};
use serde_json::json;

use crate::support::{pages_by_url, summary_of, wait_summary};

async fn a_crawl_delivers_to_the_named_endpoint_of_its_key_s_tenant(deployment: Deployment) {
    let _machine = crate::beside_others().await;
    let site = TestSite::serve(SiteGraph::generated(5)).await;
    let receiver = Receiver::start().await;
    // The cluster's key, in project `shop`, environment `test`.
    let settings = [("CRAWLER_API_KEYS", "test-key:paid:shop:test".to_string())];
    let cluster = Cluster::start(crawler_testkit::binaries!(), deployment, &settings).await;
    let hook = json!({
        "name": "crawls", "url": receiver.url(), "profile": "scrapfly",
        "events": ["crawl.page", "crawl.finished"],
    });
    let (status, created) = cluster.post("/v1/webhooks", hook).await;
    assert_eq!(status, 201, "{created}");
    let secret = created["secret"]
        .as_str()
        .expect("the secret, once")
        .to_string();

    let answer = cluster
        .submit(json!({"start_url": site.url("/"), "max_depth": 5, "webhook_name": "crawls"}))
        .await;
    assert!(
        answer["webhookSecret"].is_null(),
        "a named endpoint's secret is not repeated"
    );
    let job = answer["jobId"].as_str().expect("jobId").to_string();
    let received = wait_summary(&receiver, &job, Duration::from_secs(60)).await;
    let pages = pages_by_url(&received, &job);
    assert_eq!(pages.len(), 6, "{:?}", pages.keys());
    assert_eq!(summary_of(&received, &job)["jobState"], "finished");
    for request in &received {
        assert_eq!(request.header("x-scrapfly-webhook-project"), Some("shop"));
        assert_eq!(request.header("x-scrapfly-webhook-env"), Some("test"));
        assert_eq!(request.header("x-scrapfly-webhook-name"), Some("crawls"));
        assert_eq!(
            request.header("x-scrapfly-webhook-secret"),
            Some(secret.as_str())
        );
        assert_eq!(request.json()["context"]["webhook"]["name"], "crawls");
    }
    let (_, shown) = cluster.get("/v1/webhooks/crawls").await;
    assert_eq!(shown["health"]["enabled"], true, "{shown}");
    assert_eq!(shown["health"]["lastAttempt"]["statusCode"], 200);
}

mod distributed {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_crawl_delivers_to_the_named_endpoint_of_its_key_s_tenant() {
        let deployment = crawler_testkit::cluster::Deployment::Distributed { workers: 1 };
        super::a_crawl_delivers_to_the_named_endpoint_of_its_key_s_tenant(deployment).await;
    }
}

mod embedded {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_crawl_delivers_to_the_named_endpoint_of_its_key_s_tenant() {
        let deployment = crawler_testkit::cluster::Deployment::Embedded;
        super::a_crawl_delivers_to_the_named_endpoint_of_its_key_s_tenant(deployment).await;
    }
}
