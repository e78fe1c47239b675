//! Secrets stay out of the logs: a distributed run at debug level, with a Redis password
//! (an ACL user this test creates), the broker's account in its URL, a proxy with a
//! password and a callback URL whose query string holds a token, logs none of them in any
//! line of any role. A second callback always fails, so that its endpoint is disabled
//! and the dispatcher logs its URL.

use std::process::Command;
use std::time::Duration;

use crawler_testkit::cluster::{Cluster, Deployment};
use crawler_testkit::receiver::{Behaviour, Receiver};
use crawler_testkit::services;
use crawler_testkit::site::{PageKind, SiteGraph, TestSite};
use serde_json::json;

use crate::support::wait_summary;

/// A Redis user with a password of its own, removed when dropped.
struct RedisUser {
    address: (String, String),
    name: String,
    password: String,
}

impl RedisUser {
    fn create() -> RedisUser {
        let url = url::Url::parse(&services::redis_url()).expect("the test Redis URL");
        let host = url.host_str().expect("a Redis host").to_string();
        let port = url.port().unwrap_or(6379).to_string();
        let tag = uuid::Uuid::new_v4().simple().to_string();
        let user = RedisUser {
            address: (host, port),
            name: format!("crawler-{tag}"),
            password: format!("redis-secret-{tag}"),
        };
        let password = format!(">{}", user.password);
        let answer = user.cli(&[
            "ACL", "SETUSER", &user.name, "on", &password, "~*", "&*", "+@all",
        ]);
        assert_eq!(answer.trim(), "OK", "creating the Redis user");
        user
    }

    fn cli(&self, args: &[&str]) -> String {
        let output = Command::new("redis-cli")
            .args(["-h", &self.address.0, "-p", &self.address.1])
            .args(args)
            .output()
            .expect("redis-cli runs");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    fn url(&self) -> String {
        format!(
            "redis://{}:{}@{}:{}/",
            self.name, self.password, self.address.0, self.address.1
        )
    }
}

impl Drop for RedisUser {
    fn drop(&mut self) {
        let name = self.name.clone();
        self.cli(&["ACL", "DELUSER", &name]);
    }
}

/// The test broker's URL with the account RabbitMQ accepts on loopback written out.
fn amqp_url_with_account() -> String {
    let mut url = url::Url::parse(&services::amqp_url()).expect("the test AMQP URL");
    url.set_username("guest").expect("a user");
    url.set_password(Some("guest")).expect("a password");
    url.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_role_logs_a_password_or_a_callback_token() {
    let _machine = crate::beside_others().await;
    services::require_services().await;
    let redis = RedisUser::create();
    let proxy_secret = format!("proxy-secret-{}", uuid::Uuid::new_v4().simple());
    let callback_token = format!("callback-token-{}", uuid::Uuid::new_v4().simple());
    let site = TestSite::serve(
        SiteGraph::default()
            .page("/", PageKind::Html(vec!["/a".into()]))
            .page("/a", PageKind::Html(vec![])),
    )
    .await;
    let receiver = Receiver::start().await;
    let failing = Receiver::start_with(Behaviour::Always(500)).await;
    let settings = [
        ("RUST_LOG", "debug".to_string()),
        ("CRAWLER_WEBHOOK_DISABLE_AFTER", "1".to_string()),
        ("CRAWLER_WEBHOOK_RETRY_SCHEDULE", "50ms".to_string()),
        ("CRAWLER_AMQP_URL", amqp_url_with_account()),
        ("CRAWLER_REDIS_URL", redis.url()),
        (
            "CRAWLER_PROXIES",
            format!("us=http://crawler:{proxy_secret}@127.0.0.1:9"),
        ),
    ];
    let cluster = Cluster::start(
        crawler_testkit::binaries!(),
        Deployment::Distributed { workers: 1 },
        &settings,
    )
    .await;
    let answer = cluster
        .submit(json!({
            "start_url": site.url("/"),
            "max_depth": 1,
            "callback": {"type": "webhook",
                         "url": format!("{}?token={callback_token}", receiver.url()),
                         "events": ["crawl.page", "crawl.finished"]},
        }))
        .await;
    let job = answer["jobId"].as_str().expect("jobId").to_string();
    cluster
        .submit(json!({
            "start_url": site.url("/a"),
            "max_depth": 0,
            "callback": {"type": "webhook",
                         "url": format!("{}?token={callback_token}", failing.url()),
                         "events": ["crawl.page"]},
        }))
        .await;
    let received = wait_summary(&receiver, &job, Duration::from_secs(60)).await;
    assert!(received.len() >= 3, "two pages and the summary arrived");
    cluster.dispatchers[0]
        .wait_for_log("webhook endpoint disabled", Duration::from_secs(60))
        .await;

    let roles = std::iter::once(&cluster.coordinator)
        .chain(&cluster.workers)
        .chain(&cluster.dispatchers);
    let mut lines = 0;
    for role in roles {
        let logs = role.logs();
        lines += logs.lines().count();
        for secret in [
            redis.password.as_str(),
            "guest:guest",
            proxy_secret.as_str(),
            callback_token.as_str(),
        ] {
            let leaks: Vec<&str> = logs.lines().filter(|l| l.contains(secret)).collect();
            assert!(leaks.is_empty(), "`{secret}` logged: {leaks:#?}");
        }
    }
    assert!(
        lines > 20,
        "the roles logged at debug level ({lines} lines)"
    );
}
