//! Admission: dedup, budget reservation, overflow and promotion.

use std::sync::Arc;

use crawler_state::{JobControl, PageOutcome, StateStore};

use crate::common::{record, task, tasks, url, urls_of, START};

pub async fn admit_dedups_within_and_across_calls(store: Arc<dyn StateStore>) {
    let job = record("owner", None, 1, 1);
    store.create_job(&job).await.unwrap();
    let (a, b, c) = (url("a"), url("b"), url("c"));

    let candidates = tasks(&job, &[a.as_str(), &b, &a, START]);
    let first = store.admit(job.job_id, START, &candidates).await.unwrap();
    assert_eq!(urls_of(&first), vec![a.clone(), b.clone()]);

    let second = store
        .admit(job.job_id, &a, &tasks(&job, &[&b, &c]))
        .await
        .unwrap();
    assert_eq!(urls_of(&second), vec![c]);

    let status = store.status(job.job_id).await.unwrap().unwrap();
    assert_eq!(status.pending, 4);
}

pub async fn admit_is_idempotent_per_parent(store: Arc<dyn StateStore>) {
    let job = record("owner", None, 1, 1);
    store.create_job(&job).await.unwrap();
    let (a, b, c) = (url("a"), url("b"), url("c"));

    let first = store
        .admit(job.job_id, START, &tasks(&job, &[&a, &b]))
        .await
        .unwrap();
    // A redelivered task admits again, possibly finding other links: it gets the first
    // answer back and nothing is counted twice.
    let again = store
        .admit(job.job_id, START, &tasks(&job, &[&a, &b, &c]))
        .await
        .unwrap();
    assert_eq!(again, first);
    assert_eq!(store.status(job.job_id).await.unwrap().unwrap().pending, 3);

    // The link only the repeat saw is still unseen.
    let later = store
        .admit(job.job_id, &url("a"), &tasks(&job, &[&c]))
        .await
        .unwrap();
    assert_eq!(urls_of(&later), vec![c]);
}

pub async fn unlimited_budget_admits_everything(store: Arc<dyn StateStore>) {
    let job = record("owner", None, 5, 1);
    store.create_job(&job).await.unwrap();
    let links: Vec<String> = (0..50).map(|i| url(&format!("page/{i}"))).collect();

    let admitted = store
        .admit(job.job_id, START, &tasks(&job, &links))
        .await
        .unwrap();
    assert_eq!(urls_of(&admitted), links);
    assert_eq!(store.status(job.job_id).await.unwrap().unwrap().pending, 51);
}

pub async fn budget_reserves_and_overflows(store: Arc<dyn StateStore>) {
    // The start URL reserves 2 of 7; two more pages fit, a third would need 8.
    let job = record("owner", Some(7), 2, 1);
    store.create_job(&job).await.unwrap();
    let [a, b, c, d, e] = ["a", "b", "c", "d", "e"].map(url);

    let admitted = store
        .admit(job.job_id, START, &tasks(&job, &[&a, &b, &c, &d]))
        .await
        .unwrap();
    assert_eq!(urls_of(&admitted), vec![a.clone(), b]);
    assert_eq!(store.status(job.job_id).await.unwrap().unwrap().pending, 3);

    // Overflowed URLs are seen: never admitted later from another page.
    let none = store
        .admit(job.job_id, &a, &tasks(&job, &[&c, &e]))
        .await
        .unwrap();
    assert!(none.is_empty());
    let status = store.status(job.job_id).await.unwrap().unwrap();
    assert_eq!(status.pending, 3);
    assert_eq!(status.job_cost, 0);
}

pub async fn refund_promotes_overflow_in_order(store: Arc<dyn StateStore>) {
    let job = record("owner", Some(3), 1, 1);
    store.create_job(&job).await.unwrap();
    let [a, b, c, d] = ["a", "b", "c", "d"].map(url);
    let mut deep = task(&job, &d);
    deep.depth = 4;
    let mut candidates = tasks(&job, &[&a, &b, &c]);
    candidates.push(deep.clone());
    store.admit(job.job_id, START, &candidates).await.unwrap();

    let failed = PageOutcome::Failed {
        reason: "http_500".into(),
    };
    let recorded = store.record_outcome(job.job_id, &a, &failed).await.unwrap();
    assert_eq!(recorded.promoted, vec![task(&job, &c)]);
    assert_eq!(
        (recorded.credits, recorded.current_cost, recorded.repeated),
        (0, 0, false)
    );
    assert_eq!(store.status(job.job_id).await.unwrap().unwrap().pending, 4);

    // A repeat returns the same promotion, so a redelivered task republishes it, and
    // promotes nothing more.
    let repeat = store.record_outcome(job.job_id, &a, &failed).await.unwrap();
    assert_eq!(repeat.promoted, recorded.promoted);
    assert!(repeat.repeated);
    assert_eq!(store.status(job.job_id).await.unwrap().unwrap().pending, 4);

    // A cancelled page refunds too; the promoted task keeps its depth.
    let recorded = store
        .record_outcome(job.job_id, &b, &PageOutcome::Cancelled)
        .await
        .unwrap();
    assert_eq!(recorded.promoted, vec![deep]);

    let recorded = store.record_outcome(job.job_id, &c, &failed).await.unwrap();
    assert!(recorded.promoted.is_empty(), "the overflow list is empty");
    assert_eq!(store.status(job.job_id).await.unwrap().unwrap().pending, 5);
}

pub async fn no_promotion_or_admission_while_stopping(store: Arc<dyn StateStore>) {
    let job = record("owner", Some(2), 1, 1);
    store.create_job(&job).await.unwrap();
    let [a, b, c, d] = ["a", "b", "c", "d"].map(url);
    let admitted = store
        .admit(job.job_id, START, &tasks(&job, &[&a, &b, &c]))
        .await
        .unwrap();
    assert_eq!(urls_of(&admitted), vec![a.clone()]);

    store
        .request_stop(job.job_id, crawler_core::StopReason::Cancelled)
        .await
        .unwrap();
    assert_eq!(
        store.control(job.job_id).await.unwrap(),
        JobControl::Stopping(crawler_core::StopReason::Cancelled)
    );
    let recorded = store
        .record_outcome(job.job_id, &a, &PageOutcome::Cancelled)
        .await
        .unwrap();
    assert!(
        recorded.promoted.is_empty(),
        "a stopping job queues nothing new"
    );
    let admitted = store
        .admit(job.job_id, &a, &tasks(&job, &[&d]))
        .await
        .unwrap();
    assert!(admitted.is_empty(), "a stopping job admits nothing");
    assert_eq!(store.status(job.job_id).await.unwrap().unwrap().pending, 2);

    store
        .record_outcome(job.job_id, START, &PageOutcome::Cancelled)
        .await
        .unwrap();
    assert!(!store.close_task(job.job_id, &a, 1).await.unwrap());
    assert!(store.close_task(job.job_id, START, 0).await.unwrap());

    let summary = store.summary(job.job_id).await.unwrap();
    let mut cancelled = summary.cancelled.clone();
    cancelled.sort();
    let mut expected = vec![START.to_owned(), a, b, c, d];
    expected.sort();
    assert_eq!(cancelled, expected);
    assert!(summary.completed.is_empty());
}
