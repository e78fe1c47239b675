//! Creating a job admits its seed URLs: a crawl's start URL, or every URL of a batch.

use std::sync::Arc;

use crawler_core::{CompletedUrl, FailedUrl, JobId, JobState, StopReason};
use crawler_state::{PageOutcome, StateStore};

use crate::common::{batch, record, seed, task, url, START};

pub async fn a_crawl_is_created_with_its_start_url_as_its_one_seed(store: Arc<dyn StateStore>) {
    let job = record("owner", Some(10), 1, 1);
    let seeds = store.create_job(&job).await.unwrap();
    assert_eq!(seeds, vec![seed(&job, START)]);

    // A retried create is told the first answer, and counts nothing again.
    assert_eq!(store.create_job(&job).await.unwrap(), seeds);
    assert_eq!(store.status(job.job_id).await.unwrap().unwrap().pending, 1);
    assert_eq!(store.frontier_depth(job.job_id).await.unwrap(), Some(0));
}

pub async fn a_multi_seed_job_admits_each_distinct_seed_once(store: Arc<dyn StateStore>) {
    let [a, b, c] = ["a", "b", "c"].map(url);
    let job = batch(&[&a, &b, &a, &c], None, 2);
    let seeds = store.create_job(&job).await.unwrap();
    assert_eq!(seeds, vec![seed(&job, &a), seed(&job, &b), seed(&job, &c)]);

    let status = store.status(job.job_id).await.unwrap().unwrap();
    assert_eq!((status.pending, status.job_cost), (3, 0));
    assert_eq!(status.start_url, a);
    assert_eq!(store.frontier_depth(job.job_id).await.unwrap(), Some(0));

    assert_eq!(store.create_job(&job).await.unwrap(), seeds);
    assert_eq!(store.status(job.job_id).await.unwrap().unwrap().pending, 3);
    // Seeds are seen: a link to one of them is not admitted again.
    let admitted = store
        .admit(job.job_id, &a, &[task(&job, &b), task(&job, &url("d"))])
        .await
        .unwrap();
    assert_eq!(admitted, vec![task(&job, &url("d"))]);
}

pub async fn seeds_beyond_the_budget_overflow_and_are_promoted_at_depth_0(
    store: Arc<dyn StateStore>,
) {
    // Two seeds of 2 credits fit in 5; the other two wait in the overflow list.
    let [a, b, c, d] = ["a", "b", "c", "d"].map(url);
    let job = batch(&[&a, &b, &c, &d], Some(5), 2);
    let seeds = store.create_job(&job).await.unwrap();
    assert_eq!(seeds, vec![seed(&job, &a), seed(&job, &b)]);
    assert_eq!(store.create_job(&job).await.unwrap(), seeds);
    let status = store.status(job.job_id).await.unwrap().unwrap();
    assert_eq!((status.pending, status.cancelled), (2, 0));

    // A failed seed refunds its reservation, which promotes the next seed, still depth 0.
    let failed = PageOutcome::Failed {
        reason: "http_404".into(),
    };
    let recorded = store.record_outcome(job.job_id, &a, &failed).await.unwrap();
    assert_eq!(recorded.promoted, vec![seed(&job, &c)]);
    assert_eq!(store.status(job.job_id).await.unwrap().unwrap().pending, 3);
    for page in [&b, &c] {
        store
            .record_outcome(job.job_id, page, &PageOutcome::Finished)
            .await
            .unwrap();
    }
    let ends = close_seeds(&store, job.job_id, &[&a, &b, &c]).await;
    assert_eq!(ends, vec![false, false, true]);

    let status = store.status(job.job_id).await.unwrap().unwrap();
    assert_eq!(status.job_state, JobState::Finished);
    assert_eq!(status.stop_reason, Some(StopReason::Budget));
    assert_eq!(
        (status.completed, status.failed, status.cancelled),
        (2, 1, 1)
    );
    assert_eq!(status.job_cost, 4);
    let summary = store.summary(job.job_id).await.unwrap();
    assert_eq!(summary.cancelled, vec![d]);
    assert_eq!(summary.job_cost, 4);
}

pub async fn a_multi_seed_job_ends_once_every_seed_is_closed(store: Arc<dyn StateStore>) {
    let [a, b, c] = ["a", "b", "c"].map(url);
    let job = batch(&[&a, &b, &c], None, 1);
    store.create_job(&job).await.unwrap();
    let failed = PageOutcome::Failed {
        reason: "http_404".into(),
    };
    for (page, outcome) in [
        (&a, PageOutcome::Finished),
        (&b, failed),
        (&c, PageOutcome::Finished),
    ] {
        store
            .record_outcome(job.job_id, page, &outcome)
            .await
            .unwrap();
    }

    let ends = close_seeds(&store, job.job_id, &[&a, &b]).await;
    assert_eq!(ends, vec![false, false]);
    let status = store.status(job.job_id).await.unwrap().unwrap();
    assert_eq!((status.pending, status.job_state), (1, JobState::Running));
    assert!(store.close_task(job.job_id, &c, 0).await.unwrap());
    // Only the last seed's close ended the job, and a repeat of it hears so again.
    assert!(store.close_task(job.job_id, &c, 0).await.unwrap());
    assert!(!store.close_task(job.job_id, &a, 0).await.unwrap());
    assert_eq!(store.frontier_depth(job.job_id).await.unwrap(), None);

    let summary = store.summary(job.job_id).await.unwrap();
    assert_eq!(
        (summary.job_state, summary.stop_reason),
        (JobState::Finished, StopReason::Exhausted)
    );
    assert_eq!(
        summary.completed,
        vec![
            CompletedUrl { url: a, cost: 1 },
            CompletedUrl { url: c, cost: 1 },
        ]
    );
    assert_eq!(
        summary.failed,
        vec![FailedUrl {
            url: b,
            fail_reason: "http_404".into()
        }]
    );
    assert!(summary.cancelled.is_empty());
    assert_eq!(summary.job_cost, 2);
}

/// Closes each depth-0 page in turn, and returns which close ended the job.
async fn close_seeds(store: &Arc<dyn StateStore>, job: JobId, pages: &[&String]) -> Vec<bool> {
    let mut ends = Vec::new();
    for page in pages {
        ends.push(store.close_task(job, page, 0).await.unwrap());
    }
    ends
}
