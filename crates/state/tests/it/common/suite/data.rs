//! Page results, continuations and purges (`JobData`).

use std::sync::Arc;

use crawler_core::{FetchTask, JobState, PageResult};
use crawler_state::{JobControl, PageOutcome, StateStore};

use crate::common::{record, seed, task, tasks, url, START};

fn result(url: &str, status: &str, depth: u32, body: Option<&str>) -> PageResult {
    PageResult {
        url: url.to_owned(),
        status: status.to_owned(),
        status_code: Some(if status == "finished" { 200 } else { 500 }),
        depth,
        final_url: None,
        fail_reason: (status != "finished").then(|| "http_500".to_owned()),
        body: body.map(str::to_owned),
        base64_encoded_body: None,
    }
}

/// A job of three pages (the start URL, `a` and `b`) that ended: `a` failed, `b` was
/// empty. Returns the job and the tasks of `a` and `b`.
async fn ended_job(store: &Arc<dyn StateStore>) -> (crawler_core::JobRecord, Vec<FetchTask>) {
    let job = record("owner", Some(3), 1, 1);
    store.create_job(&job).await.unwrap();
    let (a, b) = (url("a"), url("b"));
    store
        .admit(job.job_id, START, &tasks(&job, &[&a, &b]))
        .await
        .unwrap();
    let pages = [
        (START.to_string(), "finished", 0, Some("<a href=a>")),
        (a.clone(), "failed", 1, None),
        (b.clone(), "finished", 1, Some("")),
    ];
    for (page, status, depth, body) in &pages {
        store
            .put_result(job.job_id, &result(page, status, *depth, *body))
            .await
            .unwrap();
        let outcome = match *status {
            "finished" => PageOutcome::Finished,
            _ => PageOutcome::Failed {
                reason: "http_500".into(),
            },
        };
        store
            .record_outcome(job.job_id, page, &outcome)
            .await
            .unwrap();
        store.close_task(job.job_id, page, *depth).await.unwrap();
    }
    (job.clone(), vec![task(&job, &a), task(&job, &b)])
}

pub async fn results_page_through_the_recorded_pages_in_order(store: Arc<dyn StateStore>) {
    let (job, _) = ended_job(&store).await;
    let first = store.results(job.job_id, 0, 2).await.unwrap();
    let urls: Vec<&str> = first.results.iter().map(|r| r.url.as_str()).collect();
    assert_eq!(urls, [START.to_string(), url("a")]);
    assert_eq!(first.results[1].status, "failed");
    assert_eq!(first.next, Some(2));
    let rest = store.results(job.job_id, 2, 2).await.unwrap();
    assert_eq!(rest.results.len(), 1);
    assert!(rest.results[0].is_empty());
    assert_eq!(rest.next, None);
    let unknown = store
        .results(crawler_core::JobId::generate(), 0, 10)
        .await
        .unwrap();
    assert!(unknown.results.is_empty() && unknown.next.is_none());
}

pub async fn reopen_fetches_pages_again_and_ends_with_a_new_round(store: Arc<dyn StateStore>) {
    let (job, again) = ended_job(&store).await;
    let before = store.summary(job.job_id).await.unwrap();
    assert_eq!((before.round, before.job_cost), (0, 2));

    let reopened = store.reopen(job.job_id, &again).await.unwrap();
    assert_eq!(reopened, again);
    assert_eq!(
        store.control(job.job_id).await.unwrap(),
        JobControl::Running
    );
    let status = store.status(job.job_id).await.unwrap().unwrap();
    assert_eq!(status.job_state, JobState::Running);
    assert_eq!((status.pending, status.completed, status.failed), (2, 1, 0));
    assert_eq!(status.job_cost, 1, "the empty page gave its credit back");
    assert_eq!(store.frontier_depth(job.job_id).await.unwrap(), Some(1));
    // Reopening a running job changes nothing.
    assert!(store.reopen(job.job_id, &again).await.unwrap().is_empty());

    for t in &again {
        store
            .put_result(job.job_id, &result(&t.url, "finished", 1, Some("full")))
            .await
            .unwrap();
        let recorded = store
            .record_outcome(job.job_id, &t.url, &PageOutcome::Finished)
            .await
            .unwrap();
        assert!(!recorded.repeated, "a reopened page is recorded afresh");
    }
    assert!(!store
        .close_task(job.job_id, &again[0].url, 1)
        .await
        .unwrap());
    assert!(store
        .close_task(job.job_id, &again[1].url, 1)
        .await
        .unwrap());
    let after = store.summary(job.job_id).await.unwrap();
    assert_eq!(after.job_state, JobState::Finished);
    assert_eq!(after.round, 1);
    assert_eq!(
        (after.completed.len(), after.failed.len(), after.job_cost),
        (3, 0, 3)
    );
    let results = store.results(job.job_id, 0, 10).await.unwrap().results;
    assert_eq!(results.len(), 3);
    assert!(results.iter().all(|r| !r.failed() && !r.is_empty()));
}

pub async fn reopen_keeps_failed_pages_the_budget_has_no_room_for(store: Arc<dyn StateStore>) {
    // Budget 2: `a` fails, its refund lets `b` in, and the budget is full again.
    let job = record("owner", Some(2), 1, 1);
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
    store.close_task(job.job_id, START, 0).await.unwrap();
    let failed = PageOutcome::Failed {
        reason: "http_500".into(),
    };
    let promoted = store
        .record_outcome(job.job_id, &a, &failed)
        .await
        .unwrap()
        .promoted;
    assert_eq!(promoted, vec![task(&job, &b)]);
    store.close_task(job.job_id, &a, 1).await.unwrap();
    store
        .record_outcome(job.job_id, &b, &PageOutcome::Finished)
        .await
        .unwrap();
    assert!(store.close_task(job.job_id, &b, 1).await.unwrap());

    // No room for `a` again, and a URL the job never recorded is not reopened either.
    let never = task(&job, &url("never"));
    assert!(store
        .reopen(job.job_id, &[task(&job, &a), never])
        .await
        .unwrap()
        .is_empty());
    assert_eq!(store.control(job.job_id).await.unwrap(), JobControl::Ended);
    // A finished page keeps its reservation, so it always fits.
    let start = seed(&job, START);
    assert_eq!(
        store
            .reopen(job.job_id, std::slice::from_ref(&start))
            .await
            .unwrap(),
        vec![start]
    );
    let status = store.status(job.job_id).await.unwrap().unwrap();
    assert_eq!((status.pending, status.job_cost, status.failed), (1, 1, 1));
}

pub async fn purge_deletes_the_job_and_its_results(store: Arc<dyn StateStore>) {
    let (job, _) = ended_job(&store).await;
    assert!(store.purge(job.job_id).await.unwrap());
    assert!(store.job(job.job_id).await.unwrap().is_none());
    assert!(store.status(job.job_id).await.unwrap().is_none());
    assert_eq!(
        store.control(job.job_id).await.unwrap(),
        JobControl::Missing
    );
    assert!(store
        .results(job.job_id, 0, 10)
        .await
        .unwrap()
        .results
        .is_empty());
    assert_eq!(store.list_jobs("owner", 0, 10).await.unwrap().total, 0);
    assert!(!store.purge(job.job_id).await.unwrap());
}
