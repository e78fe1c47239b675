//! Outcomes, closes and how a job ends.

use std::sync::Arc;

use crawler_core::{CompletedUrl, FailedUrl, JobState, StopReason};
use crawler_state::{JobControl, PageOutcome, StateStore};

use crate::common::{depth_of, record, tasks, url, START};

fn failed(reason: &str) -> PageOutcome {
    PageOutcome::Failed {
        reason: reason.into(),
    }
}

pub async fn record_outcome_charges_finished_pages_once(store: Arc<dyn StateStore>) {
    let job = record("owner", None, 3, 1);
    store.create_job(&job).await.unwrap();
    let a = url("a");
    store
        .admit(job.job_id, START, &tasks(&job, &[&a]))
        .await
        .unwrap();

    let first = store
        .record_outcome(job.job_id, START, &PageOutcome::Finished)
        .await
        .unwrap();
    assert_eq!(
        (first.credits, first.current_cost, first.repeated),
        (3, 3, false)
    );
    let second = store
        .record_outcome(job.job_id, &a, &PageOutcome::Finished)
        .await
        .unwrap();
    assert_eq!((second.credits, second.current_cost), (3, 6));

    // A redelivered page is told what was decided the first time and is not charged again.
    let repeat = store
        .record_outcome(job.job_id, START, &PageOutcome::Finished)
        .await
        .unwrap();
    assert_eq!(
        (repeat.credits, repeat.current_cost, repeat.repeated),
        (3, 3, true)
    );
    let status = store.status(job.job_id).await.unwrap().unwrap();
    assert_eq!((status.completed, status.job_cost), (2, 6));
}

pub async fn close_task_ends_the_job_exactly_once(store: Arc<dyn StateStore>) {
    let job = record("owner", None, 1, 1);
    store.create_job(&job).await.unwrap();
    let a = url("a");
    store
        .admit(job.job_id, START, &tasks(&job, &[&a]))
        .await
        .unwrap();
    store
        .record_outcome(job.job_id, START, &PageOutcome::Finished)
        .await
        .unwrap();
    store
        .record_outcome(job.job_id, &a, &PageOutcome::Finished)
        .await
        .unwrap();

    assert!(!store.close_task(job.job_id, START, 0).await.unwrap());
    assert!(!store.close_task(job.job_id, START, 0).await.unwrap());
    let status = store.status(job.job_id).await.unwrap().unwrap();
    assert_eq!((status.pending, status.job_state), (1, JobState::Running));

    assert!(store.close_task(job.job_id, &a, 1).await.unwrap());
    // Only the close that ended the job hears so again.
    assert!(store.close_task(job.job_id, &a, 1).await.unwrap());
    assert!(!store.close_task(job.job_id, START, 0).await.unwrap());

    let status = store.status(job.job_id).await.unwrap().unwrap();
    assert_eq!(status.job_state, JobState::Finished);
    assert_eq!(status.stop_reason, Some(StopReason::Exhausted));
    assert_eq!(status.pending, 0);
    assert!(status.finished_at.is_some());
    assert_eq!(store.control(job.job_id).await.unwrap(), JobControl::Ended);

    // A cancel after the end changes nothing.
    store
        .request_stop(job.job_id, StopReason::Cancelled)
        .await
        .unwrap();
    assert_eq!(store.control(job.job_id).await.unwrap(), JobControl::Ended);
    assert_eq!(store.status(job.job_id).await.unwrap().unwrap(), status);
}

pub async fn exhausted_job_summary_lists_every_page(store: Arc<dyn StateStore>) {
    let job = record("owner", Some(10), 1, 1);
    store.create_job(&job).await.unwrap();
    let (a, b) = (url("a"), url("b"));
    store
        .admit(job.job_id, START, &tasks(&job, &[&a, &b]))
        .await
        .unwrap();
    store
        .record_outcome(job.job_id, START, &PageOutcome::Finished)
        .await
        .unwrap();
    store
        .record_outcome(job.job_id, &a, &failed("http_404"))
        .await
        .unwrap();
    store
        .record_outcome(job.job_id, &b, &PageOutcome::Finished)
        .await
        .unwrap();
    for page in [START, &a, &b] {
        store
            .close_task(job.job_id, page, depth_of(page))
            .await
            .unwrap();
    }

    let summary = store.summary(job.job_id).await.unwrap();
    assert_eq!(summary.job_id, job.job_id);
    assert_eq!(summary.job_state, JobState::Finished);
    assert_eq!(summary.stop_reason, StopReason::Exhausted);
    assert_eq!(summary.job_cost, 2);
    assert_eq!(
        summary.completed,
        vec![
            CompletedUrl {
                url: START.into(),
                cost: 1
            },
            CompletedUrl { url: b, cost: 1 },
        ]
    );
    assert_eq!(
        summary.failed,
        vec![FailedUrl {
            url: a,
            fail_reason: "http_404".into()
        }]
    );
    assert!(summary.cancelled.is_empty());
    assert_eq!(summary.crawl_budget, Some(10));
    assert_eq!(summary.start_url, START);
    assert_eq!(summary.meta, job.spec.meta);
    assert_eq!(
        summary.finished_at,
        store.status(job.job_id).await.unwrap().unwrap().finished_at
    );
    assert!(summary.finished_at.is_some());
}

pub async fn budget_end_state_counts_overflow_as_cancelled(store: Arc<dyn StateStore>) {
    let job = record("owner", Some(2), 1, 1);
    store.create_job(&job).await.unwrap();
    let [a, b, c] = ["a", "b", "c"].map(url);
    store
        .admit(job.job_id, START, &tasks(&job, &[&a, &b, &c]))
        .await
        .unwrap();
    for page in [START, &a] {
        store
            .record_outcome(job.job_id, page, &PageOutcome::Finished)
            .await
            .unwrap();
        store
            .close_task(job.job_id, page, depth_of(page))
            .await
            .unwrap();
    }

    let status = store.status(job.job_id).await.unwrap().unwrap();
    assert_eq!(status.job_state, JobState::Finished);
    assert_eq!(status.stop_reason, Some(StopReason::Budget));
    assert_eq!(
        (status.completed, status.cancelled, status.job_cost),
        (2, 2, 2)
    );
    let summary = store.summary(job.job_id).await.unwrap();
    assert_eq!(summary.stop_reason, StopReason::Budget);
    assert_eq!(summary.cancelled, vec![b, c]);
    assert_eq!(summary.completed.len(), 2);
}

pub async fn cancel_end_state_and_first_stop_reason_wins(store: Arc<dyn StateStore>) {
    let job = record("owner", None, 1, 1);
    store.create_job(&job).await.unwrap();
    let a = url("a");
    store
        .admit(job.job_id, START, &tasks(&job, &[&a]))
        .await
        .unwrap();

    store
        .request_stop(job.job_id, StopReason::Cancelled)
        .await
        .unwrap();
    store
        .request_stop(job.job_id, StopReason::Cancelled)
        .await
        .unwrap();
    store
        .request_stop(job.job_id, StopReason::Timeout)
        .await
        .unwrap();
    assert_eq!(
        store.control(job.job_id).await.unwrap(),
        JobControl::Stopping(StopReason::Cancelled)
    );
    let status = store.status(job.job_id).await.unwrap().unwrap();
    assert_eq!(status.job_state, JobState::Running);
    assert_eq!(status.stop_reason, Some(StopReason::Cancelled));

    // The fetch in flight when the cancel came still counts; the rest drains as cancelled.
    store
        .record_outcome(job.job_id, START, &PageOutcome::Finished)
        .await
        .unwrap();
    store
        .record_outcome(job.job_id, &a, &PageOutcome::Cancelled)
        .await
        .unwrap();
    assert!(!store.close_task(job.job_id, START, 0).await.unwrap());
    assert!(store.close_task(job.job_id, &a, 1).await.unwrap());

    let status = store.status(job.job_id).await.unwrap().unwrap();
    assert_eq!(status.job_state, JobState::Cancelled);
    assert_eq!(status.stop_reason, Some(StopReason::Cancelled));
    assert_eq!(
        (status.completed, status.cancelled, status.job_cost),
        (1, 1, 1)
    );
    let summary = store.summary(job.job_id).await.unwrap();
    assert_eq!(
        (summary.job_state, summary.stop_reason),
        (JobState::Cancelled, StopReason::Cancelled)
    );
    assert_eq!(summary.cancelled, vec![a]);
    assert_eq!(summary.completed.len(), 1);
}

pub async fn timeout_end_state(store: Arc<dyn StateStore>) {
    let job = record("owner", Some(2), 1, 1);
    store.create_job(&job).await.unwrap();
    let [a, b] = ["a", "b"].map(url);
    store
        .admit(job.job_id, START, &tasks(&job, &[&a, &b]))
        .await
        .unwrap();

    store
        .request_stop(job.job_id, StopReason::Timeout)
        .await
        .unwrap();
    store
        .request_stop(job.job_id, StopReason::Cancelled)
        .await
        .unwrap();
    for page in [START, &a] {
        store
            .record_outcome(job.job_id, page, &PageOutcome::Cancelled)
            .await
            .unwrap();
        store
            .close_task(job.job_id, page, depth_of(page))
            .await
            .unwrap();
    }

    let status = store.status(job.job_id).await.unwrap().unwrap();
    assert_eq!(status.job_state, JobState::Cancelled);
    assert_eq!(status.stop_reason, Some(StopReason::Timeout));
    // Two drained pages and the one left in the overflow list.
    assert_eq!(status.cancelled, 3);
    let summary = store.summary(job.job_id).await.unwrap();
    assert_eq!(
        (summary.job_state, summary.stop_reason),
        (JobState::Cancelled, StopReason::Timeout)
    );
    assert_eq!(summary.cancelled, vec![START.to_owned(), a, b]);
    assert_eq!(summary.job_cost, 0);
}
