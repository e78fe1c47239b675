//! Submitting a job and finding it stored and seeded.

use crawler_core::QueueMessage;

use super::*;

#[tokio::test]
async fn submitted_job_reads_back_with_its_fields() {
    let _machine = crate::beside_others().await;
    let api = start(&services::unique_namespace(), true).await;
    let body = json!({
        "start_url": "HTTP://127.0.0.1:9/docs/../a#frag",
        "max_depth": 2, "crawl_budget": 10,
        "url_regexp_include": "/a", "meta": {"order": 7, "tags": ["x"]},
        "callback": {"type": "webhook", "url": "http://127.0.0.1:9/hook"},
    });
    let response = api
        .client
        .post(format!("{}/job", api.base))
        .header("x-api-key", PAID_KEY)
        .json(&body)
        .send()
        .await
        .unwrap();
    let location = response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string());
    let (status, created) = read(response).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["jobId"].as_str().unwrap();
    uuid::Uuid::parse_str(id).expect("jobId is a UUID");
    let status_url = format!("{}/v1/crawls/{id}", api.base);
    assert_eq!(created["statusUrl"], status_url.as_str());
    assert_eq!(location.as_deref(), Some(status_url.as_str()));
    assert!(created["webhookSecret"]
        .as_str()
        .unwrap()
        .starts_with("whsec_"));
    assert_eq!(
        created["job"]["callback"]["secret"],
        created["webhookSecret"]
    );
    assert_eq!(created["job"]["start_url"], "http://127.0.0.1:9/a");
    assert_eq!(created["job"]["url_regexp_include"], "/a");
    assert_eq!(
        created["job"]["callback"]["events"],
        json!(["crawl.page", "crawl.finished"])
    );
    assert_eq!(created["jobState"], "running");

    for path in [format!("/v1/crawls/{id}"), format!("/job/{id}")] {
        let (status, read_back) = api.get(&path, PAID_KEY).await;
        assert_eq!(status, StatusCode::OK, "{read_back}");
        assert_eq!(read_back["jobId"], id);
        assert_eq!(read_back["jobState"], "running");
        assert_eq!(read_back["startUrl"], "http://127.0.0.1:9/a");
        assert_eq!(read_back["meta"], json!({"order": 7, "tags": ["x"]}));
        assert_eq!(read_back["crawlBudget"], 10);
        assert_eq!(read_back["pending"], 1);
        assert_eq!(read_back["completed"], 0);
        assert_eq!(read_back["jobCost"], 0);
        assert!(read_back["createdAt"].as_u64().unwrap() > 1_600_000_000_000);
    }
}

#[tokio::test]
async fn the_seed_task_is_on_the_fetch_queue() {
    let _machine = crate::beside_others().await;
    let api = start(&services::unique_namespace(), true).await;
    let id = api
        .submit_ok(PAID_KEY, job("http://127.0.0.1:9/start"))
        .await;
    assert_eq!(api.fetch_queue_depth().await, 1);

    let queue = services::rabbit_queue().await;
    let mut consumer = queue
        .consume(&Namespace::new(api.namespace.clone()).fetch_queue(), 1)
        .await
        .unwrap();
    let delivery = tokio::time::timeout(Duration::from_secs(10), consumer.next())
        .await
        .unwrap()
        .unwrap();
    let QueueMessage::FetchTaskV1(task) = QueueMessage::decode(&delivery.payload).unwrap() else {
        panic!("not a fetch task");
    };
    assert_eq!(task.job_id.to_string(), id);
    assert_eq!(task.url, "http://127.0.0.1:9/start");
    assert_eq!(task.depth, 0);
    delivery.ack().await.unwrap();
}
