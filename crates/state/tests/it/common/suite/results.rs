//! An async job's items: numbered seeds, and each item's result kept once and read back.

use std::sync::Arc;

use crawler_core::{JobKind, PageEvent};
use crawler_state::{ItemResult, StateStore};

use crate::common::{batch, url};

fn result(job: &crawler_core::JobRecord, path: &str, status: &str) -> ItemResult {
    ItemResult {
        kept_at_ms: 7,
        event: PageEvent {
            job_id: job.job_id,
            url: url(path),
            final_url: None,
            status: status.into(),
            credits: 0,
            attempts: 2,
            start_url: job.spec.start_url.clone(),
            current_depth: 0,
            current_cost: 0,
            fail_reason: None,
            response: None,
            meta: serde_json::Value::Null,
            async_job: None,
        },
    }
}

pub async fn an_async_batch_numbers_its_seeds_from_one(store: Arc<dyn StateStore>) {
    let [a, b, c] = ["a", "b", "c"].map(url);
    let job = batch(&[&a, &b, &c], None, 1);
    assert_eq!(job.spec.kind, JobKind::Batch);
    let seeds = store.create_job(&job).await.unwrap();
    let items: Vec<(String, u32)> = seeds.into_iter().map(|t| (t.url, t.item)).collect();
    assert_eq!(items, vec![(a, 1), (b, 2), (c, 3)]);
}

pub async fn an_item_s_first_result_is_kept_and_read_back(store: Arc<dyn StateStore>) {
    let [a, b] = ["a", "b"].map(url);
    let job = batch(&[&a, &b], None, 1);
    store.create_job(&job).await.unwrap();
    assert_eq!(store.result(job.job_id, 1).await.unwrap(), None);

    let cancelled = result(&job, "a", "cancelled");
    assert!(store.keep_result(job.job_id, 1, &cancelled).await.unwrap());
    // A later result (the worker finishing the item after a cancel, or a redelivered
    // task) does not replace the first.
    let finished = result(&job, "a", "finished");
    assert!(!store.keep_result(job.job_id, 1, &finished).await.unwrap());
    assert_eq!(store.result(job.job_id, 1).await.unwrap(), Some(cancelled));
    assert_eq!(store.result(job.job_id, 2).await.unwrap(), None);

    assert!(store.keep_result(job.job_id, 2, &finished).await.unwrap());
    assert_eq!(store.result(job.job_id, 2).await.unwrap(), Some(finished));
}
