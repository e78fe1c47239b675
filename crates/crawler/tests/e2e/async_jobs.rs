//! ScraperAPI's Async API end to end, one suite run against both deployments (the
//! distributed roles over real RabbitMQ and Redis, and `crawler serve`): single jobs and
//! batches submitted over HTTP, fetched from a site on loopback, followed by their status
//! URL and called back on a loopback receiver.

use std::collections::BTreeSet;
use std::time::Duration;

use crawler_testkit::cluster::{Cluster, Deployment};
use crawler_testkit::receiver::{signature_is_valid, Behaviour, Receiver};
use crawler_testkit::site::{PageKind, SiteGraph, TestSite};
use serde_json::{json, Value};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const WAIT: Duration = Duration::from_secs(60);

fn settings() -> Vec<(&'static str, String)> {
    vec![
        ("CRAWLER_FETCH_RETRY_BACKOFF_MS", "50".into()),
        (
            "CRAWLER_WEBHOOK_RETRY_SCHEDULE",
            "100ms,200ms,300ms,400ms".into(),
        ),
    ]
}

fn site() -> SiteGraph {
    SiteGraph::default()
        .page("/page", PageKind::Html(vec!["/not-followed".into()]))
        .page(
            "/broken",
            PageKind::Custom {
                status: 500,
                headers: vec![("content-type".into(), "text/plain".into())],
                body: b"down".to_vec(),
            },
        )
        .page("/form", PageKind::Html(vec![]))
}

fn callback(receiver: &Receiver) -> Value {
    json!({"type": "webhook", "url": receiver.url(), "secret": SECRET})
}

/// POSTs a single async job and returns its status object; panics unless it is a 200.
async fn submit_job(cluster: &Cluster, body: Value) -> Value {
    let (status, answer) = cluster.post("/v1/jobs", body).await;
    assert_eq!(status, 200, "job refused: {answer}");
    answer
}

async fn status_of(cluster: &Cluster, id: &str) -> Value {
    let (status, answer) = cluster.get(&format!("/v1/jobs/{id}")).await;
    assert_eq!(status, 200, "status of {id}: {answer}");
    answer
}

/// Polls the job's status until it is `wanted`.
async fn wait_status(cluster: &Cluster, id: &str, wanted: &str) -> Value {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let status = status_of(cluster, id).await;
        if status["status"] == wanted {
            return status;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "job {id} never became {wanted}: {status}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the receiver got `n` requests. Counting, rather than copying what arrived
/// every time it looks, keeps a wait for thousands of callbacks from loading the machine.
async fn wait_count(receiver: &Receiver, n: usize, timeout: Duration) {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let got = receiver.with_received(|received| received.len());
        if got >= n {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {timeout:?} with {got} of {n} callbacks"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The accepted callbacks whose status object is the job `id`'s.
fn callbacks_of(receiver: &Receiver, id: &str) -> Vec<Value> {
    receiver.with_received(|received| {
        received
            .iter()
            .map(|r| r.json())
            .filter(|body| body["id"] == id)
            .collect()
    })
}

async fn a_job_s_callback_is_its_status_object(deployment: Deployment) {
    let _machine = crate::beside_others().await;
    let site = TestSite::serve(site()).await;
    let receiver = Receiver::start().await;
    let cluster = Cluster::start(crawler_testkit::binaries!(), deployment, &settings()).await;
    let meta = json!({"order": 42, "tags": ["a", "b"], "nested": {"x": null}});
    let accepted = submit_job(
        &cluster,
        json!({
            "url": site.url("/page"),
            "callback": callback(&receiver),
            "meta": meta,
        }),
    )
    .await;
    let id = accepted["id"].as_str().expect("id").to_string();
    assert_eq!(accepted["status"], "running");
    assert_eq!(accepted["attempts"], 0);
    assert_eq!(accepted["url"], site.url("/page"));
    assert_eq!(accepted["meta"], meta);
    let status_url = accepted["statusUrl"].as_str().expect("statusUrl");
    assert!(
        status_url.ends_with(&format!("/v1/jobs/{id}")),
        "{status_url}"
    );

    let delivered = receiver.wait_accepted(1, WAIT).await;
    assert!(
        signature_is_valid(SECRET, &delivered[0]),
        "signed like crawl deliveries"
    );
    let body = delivered[0].json();
    let status = status_of(&cluster, &id).await;
    assert_eq!(body, status, "the callback carries the status object");
    assert_eq!(status["status"], "finished");
    assert_eq!(status["meta"], meta, "meta echoed unchanged");
    assert_eq!(status["attempts"], 1);
    assert_eq!(status["response"]["statusCode"], 200);
    assert!(status["response"]["body"]
        .as_str()
        .unwrap()
        .contains("/not-followed"));
    // The ScraperAPI alias answers the same; a made-up id is not found.
    assert_eq!(cluster.get(&format!("/jobs/{id}")).await, (200, status));
    let other = uuid::Uuid::now_v7().to_string();
    assert_eq!(cluster.get(&format!("/v1/jobs/{other}")).await.0, 404);
    // One callback, no summary, and the link on the page was not followed.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.received().len(), 1, "one callback per job");
    let paths: Vec<String> = site.hits().into_iter().map(|hit| hit.path).collect();
    assert!(
        !paths.iter().any(|path| path == "/not-followed"),
        "{paths:?}"
    );
}

async fn a_post_job_sends_its_method_body_and_headers(deployment: Deployment) {
    let _machine = crate::beside_others().await;
    let site = TestSite::serve(site()).await;
    let receiver = Receiver::start().await;
    let cluster = Cluster::start(crawler_testkit::binaries!(), deployment, &settings()).await;
    let accepted = submit_job(
        &cluster,
        json!({
            "url": site.url("/form"),
            "method": "POST",
            "body": "a=1&b=2",
            "headers": {"X-Form": "yes"},
            "callback": callback(&receiver),
        }),
    )
    .await;
    receiver.wait_accepted(1, WAIT).await;
    wait_status(&cluster, accepted["id"].as_str().unwrap(), "finished").await;
    let hit = site
        .hits()
        .into_iter()
        .find(|hit| hit.path == "/form")
        .expect("the site was asked");
    assert_eq!(hit.method, "POST");
    assert_eq!(hit.body, b"a=1&b=2");
    assert_eq!(hit.headers.get("x-form").map(String::as_str), Some("yes"));
}

async fn a_failing_job_ends_at_its_timeout_and_reports_only_when_asked(deployment: Deployment) {
    let _machine = crate::beside_others().await;
    let site = TestSite::serve(site()).await;
    let receiver = Receiver::start().await;
    let cluster = Cluster::start(crawler_testkit::binaries!(), deployment, &settings()).await;
    let job = |expect: bool| {
        json!({
            "url": site.url("/broken"),
            "timeoutSec": "2",
            "expectUnsuccessReport": expect,
            "callback": callback(&receiver),
            "meta": {"expect": expect},
        })
    };
    let silent = submit_job(&cluster, job(false)).await;
    let silent_id = silent["id"].as_str().unwrap();
    let failed = wait_status(&cluster, silent_id, "failed").await;
    assert_eq!(failed["failReason"], "failed_due_to_timeout");
    let tries = failed["attempts"].as_u64().unwrap();
    assert!(tries > 1, "a 500 is retried until the timeout: {failed}");
    assert!(site.hits().iter().filter(|h| h.path == "/broken").count() as u64 >= tries);
    assert_eq!(failed["response"], Value::Null, "{failed}");

    let reporting = submit_job(&cluster, job(true)).await;
    let reporting_id = reporting["id"].as_str().unwrap();
    let delivered = receiver.wait_accepted(1, WAIT).await;
    let body = delivered[0].json();
    assert_eq!(
        body["id"], reporting_id,
        "only the job that asked is reported"
    );
    assert_eq!(body["status"], "failed");
    assert_eq!(body["failReason"], "failed_due_to_timeout");
    assert_eq!(body["meta"]["expect"], true);
    assert_eq!(body, status_of(&cluster, reporting_id).await);
    assert!(callbacks_of(&receiver, silent_id).is_empty());
}

async fn a_callback_failing_every_try_leaves_the_job_cancelled_until_replayed(
    deployment: Deployment,
) {
    let _machine = crate::beside_others().await;
    let site = TestSite::serve(site()).await;
    let receiver = Receiver::start_with(Behaviour::Always(503)).await;
    let cluster = Cluster::start(crawler_testkit::binaries!(), deployment, &settings()).await;
    let accepted = submit_job(
        &cluster,
        json!({
            "url": site.url("/page"),
            "callback": callback(&receiver),
        }),
    )
    .await;
    let id = accepted["id"].as_str().unwrap();
    let cancelled = wait_status(&cluster, id, "cancelled").await;
    assert_eq!(
        cancelled["response"]["statusCode"], 200,
        "the page itself was fetched"
    );
    // Three tries (async_callback_attempts), though the schedule would allow five.
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(receiver.received().len(), 3, "tried 3 times");
    let (code, listing) = cluster.get(&format!("/v1/jobs/{id}/deliveries")).await;
    assert_eq!(code, 200, "{listing}");
    let deliveries = listing["deliveries"].as_array().expect("deliveries");
    assert_eq!(deliveries.len(), 1, "{listing}");
    assert_eq!(deliveries[0]["attempts"].as_array().unwrap().len(), 3);

    receiver.set_behaviour(Behaviour::Ok);
    let (code, replayed) = cluster
        .post(&format!("/v1/jobs/{id}/deliveries/replay"), json!({}))
        .await;
    assert_eq!(
        (code, replayed["replayed"].clone()),
        (200, json!(1)),
        "{replayed}"
    );
    let delivered = receiver.wait_accepted(1, WAIT).await;
    let finished = wait_status(&cluster, id, "finished").await;
    assert_eq!(delivered[0].json()["id"], id);
    assert_eq!(delivered[0].json()["response"], finished["response"]);
}

async fn a_batch_calls_back_once_per_url(deployment: Deployment) {
    const URLS: usize = 10_000;
    let _machine = crate::beside_others().await;
    let site = TestSite::serve(SiteGraph::generated(URLS)).await;
    let receiver = Receiver::start().await;
    let cluster = Cluster::start(crawler_testkit::binaries!(), deployment, &settings()).await;
    let urls: Vec<String> = (0..URLS).map(|i| site.url(&format!("/p/{i}"))).collect();
    let (code, answer) = cluster
        .post(
            "/v1/batchjobs",
            json!({"urls": urls, "callback": callback(&receiver), "meta": "m"}),
        )
        .await;
    assert_eq!(code, 200, "{answer}");
    let jobs = answer.as_array().expect("an array of status objects");
    assert_eq!(jobs.len(), URLS);
    let ids: Vec<String> = jobs
        .iter()
        .map(|j| j["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        ids.iter().collect::<BTreeSet<_>>().len(),
        URLS,
        "distinct ids"
    );
    for (job, url) in jobs.iter().zip(&urls) {
        assert_eq!(
            (&job["url"], &job["status"]),
            (&json!(url), &json!("running"))
        );
    }

    let started = std::time::Instant::now();
    wait_count(&receiver, URLS, Duration::from_secs(300)).await;
    eprintln!("batch of {URLS}: called back in {:?}", started.elapsed());
    let received = receiver.received();
    let called_back: BTreeSet<String> = received
        .iter()
        .map(|r| r.json()["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        called_back,
        ids.iter().cloned().collect(),
        "one callback per job"
    );
    assert_eq!(received.len(), URLS, "and no more");
    let mut finished = 0;
    for chunk in ids.chunks(50) {
        let statuses = chunk.iter().map(|id| status_of(&cluster, id));
        for status in futures::future::join_all(statuses).await {
            assert_eq!(status["status"], "finished", "{status}");
            finished += 1;
        }
    }
    assert_eq!(finished, URLS);
}

async fn a_refused_batch_queues_nothing(deployment: Deployment) {
    let _machine = crate::beside_others().await;
    let site = TestSite::serve(site()).await;
    let cluster = Cluster::start(crawler_testkit::binaries!(), deployment, &settings()).await;
    let mut urls: Vec<String> = (0..30).map(|i| site.url(&format!("/page?n={i}"))).collect();
    urls[17] = "not a url".into();
    let (code, refused) = cluster.post("/v1/batchjobs", json!({"urls": urls})).await;
    assert_eq!(
        (code, &refused["error"]["field"]),
        (400, &json!("urls[17]")),
        "{refused}"
    );
    urls[17] = urls[3].clone();
    let (code, refused) = cluster.post("/batchjobs", json!({"urls": urls})).await;
    assert_eq!(
        (code, &refused["error"]["field"]),
        (400, &json!("urls[17]")),
        "{refused}"
    );
    assert!(refused["error"]["message"]
        .as_str()
        .unwrap()
        .contains("urls[3]"));
    let (code, refused) = cluster.post("/v1/batchjobs", json!({"urls": []})).await;
    assert_eq!(
        (code, &refused["error"]["field"]),
        (400, &json!("urls")),
        "{refused}"
    );
    let (code, refused) = cluster
        .post(
            "/v1/jobs",
            json!({"url": site.url("/page"), "apiParams": {"premium": true}}),
        )
        .await;
    assert_eq!(
        (code, &refused["error"]["field"]),
        (400, &json!("apiParams.premium"))
    );

    tokio::time::sleep(Duration::from_millis(500)).await;
    let (_, jobs) = cluster.get("/v1/crawls").await;
    assert_eq!(jobs["total"], 0, "no job was stored: {jobs}");
    assert!(
        site.hits().is_empty(),
        "nothing was queued, so nothing was fetched"
    );

    // The async routes take bodies past the crawl route's 1 MiB.
    let big_meta = "m".repeat(1536 * 1024);
    let (code, answer) = cluster
        .post(
            "/v1/batchjobs",
            json!({"urls": [site.url("/page")], "meta": big_meta}),
        )
        .await;
    assert_eq!(code, 200, "{}", answer["error"]);
}

async fn a_job_naming_an_endpoint_calls_back_through_it(deployment: Deployment) {
    let _machine = crate::beside_others().await;
    let site = TestSite::serve(site()).await;
    let receiver = Receiver::start().await;
    let cluster = Cluster::start(crawler_testkit::binaries!(), deployment, &settings()).await;
    let (code, answer) = cluster
        .post(
            "/v1/webhooks",
            json!({"name": "async-hooks", "url": receiver.url(), "secret": SECRET,
                   "profile": "scraperapi_async"}),
        )
        .await;
    assert_eq!(code, 201, "endpoint refused: {answer}");
    let (code, answer) = cluster
        .post(
            "/v1/jobs",
            json!({"url": site.url("/page"), "webhook_name": "no-such-endpoint"}),
        )
        .await;
    assert_eq!(code, 400, "{answer}");
    assert_eq!(answer["error"]["field"], "webhook_name");
    let (code, answer) = cluster
        .post(
            "/v1/jobs",
            json!({"url": site.url("/page"), "webhook_name": "async-hooks",
                   "callback": callback(&receiver)}),
        )
        .await;
    assert_eq!(
        (code, &answer["error"]["field"]),
        (400, &json!("webhook_name"))
    );

    let accepted = submit_job(
        &cluster,
        json!({"url": site.url("/page"), "webhookName": "async-hooks", "meta": {"n": 1}}),
    )
    .await;
    let id = accepted["id"].as_str().expect("id");
    let delivered = receiver.wait_accepted(1, WAIT).await;
    assert!(
        signature_is_valid(SECRET, &delivered[0]),
        "signed with the endpoint's secret"
    );
    let status = wait_status(&cluster, id, "finished").await;
    assert_eq!(
        delivered[0].json(),
        status,
        "the endpoint got the status object"
    );
    assert_eq!(status["meta"], json!({"n": 1}));
}

async fn a_cancelled_job_is_not_fetched_again_and_calls_back_nothing(deployment: Deployment) {
    let _machine = crate::beside_others().await;
    let site = TestSite::serve(site()).await;
    let receiver = Receiver::start().await;
    let cluster = Cluster::start(crawler_testkit::binaries!(), deployment, &settings()).await;
    // A URL that keeps failing is retried until its timeout: cancel it meanwhile.
    let accepted = submit_job(
        &cluster,
        json!({"url": site.url("/broken"), "timeoutSec": 60, "expectUnsuccessReport": true,
               "callback": callback(&receiver)}),
    )
    .await;
    let id = accepted["id"].as_str().expect("id");
    let tried = || {
        site.hits()
            .iter()
            .filter(|hit| hit.path == "/broken")
            .count()
    };
    let deadline = tokio::time::Instant::now() + WAIT;
    while tried() < 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the job was never retried"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (code, answer) = cluster.delete(&format!("/v1/jobs/{id}")).await;
    assert_eq!(code, 200, "{answer}");
    assert_eq!(answer["status"], "cancelled");
    // A try already under way may finish; after it, nothing more is fetched.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after_cancel = tried();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        tried(),
        after_cancel,
        "a cancelled job is not fetched again"
    );
    assert_eq!(status_of(&cluster, id).await["status"], "cancelled");
    assert!(
        receiver.received().is_empty(),
        "a cancelled job calls back nothing"
    );
    // Cancelling again changes nothing.
    let (code, again) = cluster.delete(&format!("/v1/jobs/{id}")).await;
    assert_eq!((code, &again["status"]), (200, &json!("cancelled")));
}

async fn a_job_cancelled_mid_fetch_calls_back_nothing(deployment: Deployment) {
    let _machine = crate::beside_others().await;
    let graph = site().page(
        "/slow",
        PageKind::Trickle {
            interval: Duration::from_millis(150),
            bytes: 20,
        },
    );
    let site = TestSite::serve(graph).await;
    let receiver = Receiver::start().await;
    let cluster = Cluster::start(crawler_testkit::binaries!(), deployment, &settings()).await;
    let accepted = submit_job(
        &cluster,
        json!({"url": site.url("/slow"), "callback": callback(&receiver)}),
    )
    .await;
    let id = accepted["id"].as_str().expect("id");
    let deadline = tokio::time::Instant::now() + WAIT;
    while !site.hits().iter().any(|hit| hit.path == "/slow") {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the page was never asked for"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The page takes 3 s to arrive: the cancel lands while it is being fetched.
    let (code, answer) = cluster.delete(&format!("/v1/jobs/{id}")).await;
    assert_eq!(
        (code, &answer["status"]),
        (200, &json!("cancelled")),
        "{answer}"
    );
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert!(
        receiver.received().is_empty(),
        "the fetch under way finished, but a cancelled job calls back nothing"
    );
    assert_eq!(status_of(&cluster, id).await["status"], "cancelled");
}

on_both_deployments!(
    a_job_s_callback_is_its_status_object,
    a_post_job_sends_its_method_body_and_headers,
    a_failing_job_ends_at_its_timeout_and_reports_only_when_asked,
    a_callback_failing_every_try_leaves_the_job_cancelled_until_replayed,
    a_batch_calls_back_once_per_url,
    a_refused_batch_queues_nothing,
    a_job_naming_an_endpoint_calls_back_through_it,
    a_cancelled_job_is_not_fetched_again_and_calls_back_nothing,
    a_job_cancelled_mid_fetch_calls_back_nothing,
);
