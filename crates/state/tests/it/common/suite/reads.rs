//! Creating and reading jobs, listing, redirects and the started flag.

use std::sync::Arc;

use crawler_core::{CompletedUrl, JobId, JobState, StopReason};
use crawler_state::{JobControl, PageOutcome, StateError, StateStore};

use crate::common::{record, task, tasks, url, urls_of, START};

pub async fn create_job_then_read_it_back(store: Arc<dyn StateStore>) {
    let job = record("owner", Some(10), 1, 1_000);
    store.create_job(&job).await.unwrap();

    assert_eq!(store.job(job.job_id).await.unwrap(), Some(job.clone()));
    let status = store
        .status(job.job_id)
        .await
        .unwrap()
        .expect("the job was created");
    assert_eq!(status.job_id, job.job_id);
    assert_eq!(status.job_state, JobState::Running);
    assert_eq!(status.stop_reason, None);
    assert_eq!(
        (
            status.pending,
            status.completed,
            status.failed,
            status.cancelled,
            status.job_cost
        ),
        (1, 0, 0, 0, 0)
    );
    assert_eq!(status.crawl_budget, Some(10));
    assert_eq!(status.start_url, START);
    assert_eq!(status.created_at, 1_000);
    assert_eq!(status.meta, job.spec.meta);
    assert_eq!(status.finished_at, None);
    assert_eq!(
        store.control(job.job_id).await.unwrap(),
        JobControl::Running
    );

    // A retried create leaves the job as it was.
    store.create_job(&job).await.unwrap();
    assert_eq!(store.status(job.job_id).await.unwrap(), Some(status));
    // The start URL is already seen.
    let admitted = store
        .admit(job.job_id, "p", &[task(&job, START)])
        .await
        .unwrap();
    assert!(admitted.is_empty());
}

pub async fn missing_job_reads_as_absent(store: Arc<dyn StateStore>) {
    let id = JobId::generate();
    assert_eq!(store.job(id).await.unwrap(), None);
    assert_eq!(store.status(id).await.unwrap(), None);
    assert_eq!(store.control(id).await.unwrap(), JobControl::Missing);
    let missing = |result: Result<(), StateError>| matches!(result, Err(StateError::NoSuchJob));
    assert!(missing(store.summary(id).await.map(drop)));
    assert!(missing(store.request_stop(id, StopReason::Cancelled).await));
    assert!(missing(store.admit(id, START, &[]).await.map(drop)));
    assert!(missing(
        store
            .record_outcome(id, START, &PageOutcome::Finished)
            .await
            .map(drop)
    ));
    assert!(missing(store.close_task(id, START, 0).await.map(drop)));
    assert!(missing(store.start_due(id).await.map(drop)));
    assert!(missing(store.started_sent(id).await));
    assert!(missing(
        store.claim_redirect(id, START, &url("x")).await.map(drop)
    ));
    // None of those calls brought the job into being.
    assert_eq!(store.control(id).await.unwrap(), JobControl::Missing);
}

pub async fn running_summary_reports_progress(store: Arc<dyn StateStore>) {
    let job = record("owner", None, 2, 1);
    store.create_job(&job).await.unwrap();
    store
        .admit(job.job_id, START, &tasks(&job, &[url("a")]))
        .await
        .unwrap();
    store
        .record_outcome(job.job_id, START, &PageOutcome::Finished)
        .await
        .unwrap();

    let summary = store.summary(job.job_id).await.unwrap();
    assert_eq!(summary.job_state, JobState::Running);
    assert_eq!(summary.stop_reason, StopReason::Exhausted);
    assert_eq!(
        summary.completed,
        vec![CompletedUrl {
            url: START.into(),
            cost: 2
        }]
    );
    assert_eq!(summary.job_cost, 2);
    assert_eq!(summary.finished_at, None);

    store
        .request_stop(job.job_id, StopReason::Timeout)
        .await
        .unwrap();
    let summary = store.summary(job.job_id).await.unwrap();
    assert_eq!(
        (summary.job_state, summary.stop_reason),
        (JobState::Running, StopReason::Timeout)
    );
}

pub async fn list_jobs_newest_first_with_pagination(store: Arc<dyn StateStore>) {
    let mut mine = Vec::new();
    for created_at in [300, 100, 500, 200, 400] {
        let job = record("owner-a", None, 1, created_at);
        store.create_job(&job).await.unwrap();
        mine.push(job);
    }
    store
        .create_job(&record("owner-b", None, 1, 600))
        .await
        .unwrap();
    mine.sort_by_key(|job| std::cmp::Reverse(job.created_at_ms));
    let ids =
        |page: &crawler_state::JobPage| page.jobs.iter().map(|s| s.job_id).collect::<Vec<_>>();

    let first = store.list_jobs("owner-a", 0, 2).await.unwrap();
    assert_eq!(first.total, 5);
    assert_eq!(ids(&first), vec![mine[0].job_id, mine[1].job_id]);
    assert_eq!(first.jobs[0].created_at, 500);
    let second = store.list_jobs("owner-a", 2, 2).await.unwrap();
    assert_eq!(ids(&second), vec![mine[2].job_id, mine[3].job_id]);
    let last = store.list_jobs("owner-a", 4, 2).await.unwrap();
    assert_eq!(ids(&last), vec![mine[4].job_id]);
    let beyond = store.list_jobs("owner-a", 5, 2).await.unwrap();
    assert!(beyond.jobs.is_empty());
    assert_eq!(beyond.total, 5);
    let empty = store.list_jobs("owner-a", 0, 0).await.unwrap();
    assert!(empty.jobs.is_empty());
    assert_eq!(empty.total, 5);

    assert_eq!(store.list_jobs("owner-b", 0, 10).await.unwrap().total, 1);
    let nobody = store.list_jobs("nobody", 0, 10).await.unwrap();
    assert_eq!((nobody.jobs.len(), nobody.total), (0, 0));
}

pub async fn claim_redirect_claims_unseen_targets_once(store: Arc<dyn StateStore>) {
    let job = record("owner", None, 1, 1);
    store.create_job(&job).await.unwrap();
    let (a, x) = (url("a"), url("x"));
    store
        .admit(job.job_id, START, &tasks(&job, &[&a]))
        .await
        .unwrap();

    assert!(store.claim_redirect(job.job_id, START, &x).await.unwrap());
    assert!(
        store.claim_redirect(job.job_id, START, &x).await.unwrap(),
        "a repeat keeps the claim"
    );
    assert!(
        !store.claim_redirect(job.job_id, &a, &x).await.unwrap(),
        "another page owns x"
    );
    assert!(
        !store.claim_redirect(job.job_id, &a, START).await.unwrap(),
        "START was admitted"
    );
    assert!(
        store.claim_redirect(job.job_id, &a, &a).await.unwrap(),
        "no redirect at all"
    );

    let admitted = store
        .admit(
            job.job_id,
            &a,
            &tasks(&job, &[x.as_str(), "https://example.com/y"]),
        )
        .await
        .unwrap();
    assert_eq!(
        urls_of(&admitted),
        vec![url("y")],
        "a claimed target is seen"
    );
}

pub async fn start_stays_due_until_sent(store: Arc<dyn StateStore>) {
    let job = record("owner", None, 1, 1);
    store.create_job(&job).await.unwrap();
    // Asking is not announcing: a worker that died before the confirm leaves it due.
    assert!(store.start_due(job.job_id).await.unwrap());
    assert!(store.start_due(job.job_id).await.unwrap());
    store.started_sent(job.job_id).await.unwrap();
    assert!(!store.start_due(job.job_id).await.unwrap());
    store.started_sent(job.job_id).await.unwrap();
    assert!(!store.start_due(job.job_id).await.unwrap());
}

pub async fn host_slots_cap_pages_per_host(store: Arc<dyn StateStore>) {
    let job = record("owner", None, 1, 1);
    store.create_job(&job).await.unwrap();
    let id = job.job_id;
    assert!(store
        .claim_host_slot(id, "a.test", "http://a.test/1", 2)
        .await
        .unwrap());
    assert!(store
        .claim_host_slot(id, "a.test", "http://a.test/2", 2)
        .await
        .unwrap());
    assert!(
        store
            .claim_host_slot(id, "a.test", "http://a.test/1", 2)
            .await
            .unwrap(),
        "a repeat keeps its slot"
    );
    assert!(!store
        .claim_host_slot(id, "a.test", "http://a.test/3", 2)
        .await
        .unwrap());
    assert!(
        store
            .claim_host_slot(id, "b.test", "http://b.test/1", 2)
            .await
            .unwrap(),
        "hosts are counted apart"
    );
}

pub async fn frontier_is_the_lowest_depth_with_pending_tasks(store: Arc<dyn StateStore>) {
    let job = record("owner", None, 1, 1);
    store.create_job(&job).await.unwrap();
    let id = job.job_id;
    assert_eq!(store.frontier_depth(id).await.unwrap(), Some(0));
    let at = |depth: u32, name: &str| {
        let mut task = task(&job, &url(name));
        task.depth = depth;
        task
    };
    let (a, b) = (at(1, "a"), at(1, "b"));
    store
        .admit(id, START, &[a.clone(), b.clone()])
        .await
        .unwrap();
    // A repeated admission counts nothing twice.
    store
        .admit(id, START, &[a.clone(), b.clone()])
        .await
        .unwrap();
    assert_eq!(
        store.frontier_depth(id).await.unwrap(),
        Some(0),
        "the start URL is still open"
    );
    store.close_task(id, START, 0).await.unwrap();
    assert_eq!(store.frontier_depth(id).await.unwrap(), Some(1));
    let c = at(2, "c");
    store
        .admit(id, &a.url, std::slice::from_ref(&c))
        .await
        .unwrap();
    store.close_task(id, &a.url, 1).await.unwrap();
    store.close_task(id, &a.url, 1).await.unwrap();
    assert_eq!(
        store.frontier_depth(id).await.unwrap(),
        Some(1),
        "b is still open at depth 1"
    );
    store.close_task(id, &b.url, 1).await.unwrap();
    assert_eq!(store.frontier_depth(id).await.unwrap(), Some(2));
    store.close_task(id, &c.url, 2).await.unwrap();
    assert_eq!(store.frontier_depth(id).await.unwrap(), None);
}

pub async fn promoted_tasks_count_at_their_depth(store: Arc<dyn StateStore>) {
    // A budget of 2: the start URL and one link; the second link overflows.
    let job = record("owner", Some(2), 1, 1);
    store.create_job(&job).await.unwrap();
    let id = job.job_id;
    let mut links = tasks(&job, &[url("a"), url("b")]);
    links[1].depth = 1;
    store.admit(id, START, &links).await.unwrap();
    store
        .record_outcome(id, START, &PageOutcome::Finished)
        .await
        .unwrap();
    store.close_task(id, START, 0).await.unwrap();
    // a fails: its refund promotes b, which is then pending at depth 1.
    let recorded = store
        .record_outcome(id, &url("a"), &PageOutcome::Failed { reason: "x".into() })
        .await
        .unwrap();
    assert_eq!(recorded.promoted.len(), 1);
    store.close_task(id, &url("a"), 1).await.unwrap();
    assert_eq!(store.frontier_depth(id).await.unwrap(), Some(1));
    store.close_task(id, &url("b"), 1).await.unwrap();
    assert_eq!(store.frontier_depth(id).await.unwrap(), None);
}
