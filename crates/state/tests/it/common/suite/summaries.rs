//! The summary-due mark the ending close sets, its confirmation, and the index of due
//! summaries a sweeper reads.

use std::sync::Arc;

use crawler_core::time::now_ms;
use crawler_core::{JobId, JobRecord};
use crawler_state::{PageOutcome, StateStore};

use crate::common::{record, seed, START};

/// Creates a one-page job and brings it to its end; returns the job.
async fn ended_job(store: &Arc<dyn StateStore>) -> JobRecord {
    let job = record("owner", None, 1, 0);
    store.create_job(&job).await.unwrap();
    end_again(store, job.job_id).await;
    job
}

async fn end_again(store: &Arc<dyn StateStore>, job: JobId) {
    store
        .record_outcome(job, START, &PageOutcome::Finished)
        .await
        .unwrap();
    assert!(store.close_task(job, START, 0).await.unwrap());
}

pub async fn the_ending_close_marks_the_summary_due_until_it_is_sent(store: Arc<dyn StateStore>) {
    let job = record("owner", None, 1, 0);
    store.create_job(&job).await.unwrap();
    assert!(!store.summary_due(job.job_id).await.unwrap());
    assert!(!store.summary_due(JobId::generate()).await.unwrap());
    let before_end = now_ms();
    end_again(&store, job.job_id).await;

    assert!(store.summary_due(job.job_id).await.unwrap());
    let listed = store.due_summaries(now_ms(), 10).await.unwrap();
    assert_eq!(listed, vec![job.job_id]);
    // Listed by when it became due: not before the end.
    assert!(store
        .due_summaries(before_end.saturating_sub(1), 10)
        .await
        .unwrap()
        .is_empty());
    // A repeated ending close (a redelivered task) is still told, and still due.
    assert!(store.close_task(job.job_id, START, 0).await.unwrap());
    assert!(store.summary_due(job.job_id).await.unwrap());

    store.summary_sent(job.job_id, 0).await.unwrap();
    assert!(!store.summary_due(job.job_id).await.unwrap());
    assert!(store.due_summaries(now_ms(), 10).await.unwrap().is_empty());
    // A close repeated after the confirmation does not make it due again.
    assert!(store.close_task(job.job_id, START, 0).await.unwrap());
    assert!(!store.summary_due(job.job_id).await.unwrap());
    assert!(store.due_summaries(now_ms(), 10).await.unwrap().is_empty());
}

pub async fn a_continuation_s_end_is_due_again_and_a_stale_confirmation_keeps_it(
    store: Arc<dyn StateStore>,
) {
    let job = ended_job(&store).await;
    let reopened = store
        .reopen(job.job_id, &[seed(&job, START)])
        .await
        .unwrap();
    assert_eq!(reopened.len(), 1);
    end_again(&store, job.job_id).await;
    assert_eq!(store.summary(job.job_id).await.unwrap().round, 1);

    // The first round's confirmation arrives late: round 1's summary is still due.
    store.summary_sent(job.job_id, 0).await.unwrap();
    assert!(store.summary_due(job.job_id).await.unwrap());
    assert_eq!(
        store.due_summaries(now_ms(), 10).await.unwrap(),
        vec![job.job_id]
    );
    store.summary_sent(job.job_id, 1).await.unwrap();
    assert!(!store.summary_due(job.job_id).await.unwrap());
    assert!(store.due_summaries(now_ms(), 10).await.unwrap().is_empty());
}

pub async fn due_summaries_come_oldest_first_up_to_the_limit(store: Arc<dyn StateStore>) {
    let mut ended = Vec::new();
    for _ in 0..3 {
        ended.push(ended_job(&store).await.job_id);
        // Distinct due times, so the order is the order they ended in.
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let sent = ended[1];
    store.summary_sent(sent, 0).await.unwrap();

    assert_eq!(
        store.due_summaries(now_ms(), 10).await.unwrap(),
        vec![ended[0], ended[2]]
    );
    assert_eq!(
        store.due_summaries(now_ms(), 1).await.unwrap(),
        vec![ended[0]]
    );
}
