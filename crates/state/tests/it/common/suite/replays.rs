//! What a redelivered task reads back before it acts (`TaskReplays`): the links admitted
//! from its URL, its recorded outcome and its stored result.

use std::sync::Arc;

use crawler_core::{JobId, PageResult};
use crawler_state::{PageOutcome, RecordedEffects, RecordedOutcome, StateStore};

use crate::common::{record, task, tasks, url, urls_of, START};

fn finished_result(url: &str, body: &str) -> PageResult {
    PageResult {
        url: url.to_owned(),
        status: "finished".to_owned(),
        status_code: Some(200),
        depth: 0,
        final_url: None,
        fail_reason: None,
        body: Some(body.to_owned()),
        base64_encoded_body: None,
    }
}

pub async fn a_url_with_nothing_recorded_has_nothing_to_replay(store: Arc<dyn StateStore>) {
    let job = record("owner", None, 1, 1);
    store.create_job(&job).await.unwrap();
    let effects = store.recorded_effects(job.job_id, START).await.unwrap();
    assert_eq!(effects, RecordedEffects::default());
    assert!(effects.is_empty());
    let unknown = store
        .recorded_effects(JobId::generate(), START)
        .await
        .unwrap();
    assert!(unknown.is_empty());
}

pub async fn recorded_effects_show_each_step_a_delivery_took(store: Arc<dyn StateStore>) {
    let job = record("owner", None, 3, 1);
    store.create_job(&job).await.unwrap();
    let (a, b) = (url("a"), url("b"));

    // Admitted, and the worker died before anything else.
    let admitted = store
        .admit(job.job_id, START, &tasks(&job, &[&a, &b]))
        .await
        .unwrap();
    let effects = store.recorded_effects(job.job_id, START).await.unwrap();
    assert!(!effects.is_empty());
    assert_eq!(effects.open_tasks, admitted);
    assert_eq!(effects.outcome, None);
    // A child has nothing recorded yet.
    assert!(store
        .recorded_effects(job.job_id, &a)
        .await
        .unwrap()
        .is_empty());

    // The result and the outcome recorded: the page cost its credits.
    let result = finished_result(START, "<a href=a>");
    store.put_result(job.job_id, &result).await.unwrap();
    store
        .record_outcome(job.job_id, START, &PageOutcome::Finished)
        .await
        .unwrap();
    let effects = store.recorded_effects(job.job_id, START).await.unwrap();
    assert_eq!(urls_of(&effects.open_tasks), vec![a.clone(), b.clone()]);
    assert_eq!(
        effects.outcome,
        Some(RecordedOutcome {
            outcome: PageOutcome::Finished,
            credits: 3,
            current_cost: 3,
        })
    );
    assert_eq!(effects.result, Some(result));

    // A page that failed without links has an outcome and nothing to republish.
    let failed = PageOutcome::Failed {
        reason: "http_500".into(),
    };
    store.record_outcome(job.job_id, &a, &failed).await.unwrap();
    let effects = store.recorded_effects(job.job_id, &a).await.unwrap();
    assert!(effects.open_tasks.is_empty());
    assert_eq!(effects.result, None, "no result was stored for it");
    let outcome = effects.outcome.expect("a's outcome");
    assert_eq!(
        (outcome.outcome, outcome.credits, outcome.current_cost),
        (failed, 0, 3)
    );

    // Once a child's task is closed it is not republished any more.
    assert!(!store.close_task(job.job_id, &a, 1).await.unwrap());
    let effects = store.recorded_effects(job.job_id, START).await.unwrap();
    assert_eq!(urls_of(&effects.open_tasks), vec![b]);
}

pub async fn a_result_without_an_outcome_is_not_replayed(store: Arc<dyn StateStore>) {
    // The worker stored the result and died before recording the outcome: the page is
    // decided again, so its stale result is not read.
    let job = record("owner", None, 1, 1);
    store.create_job(&job).await.unwrap();
    let result = finished_result(START, "<p>");
    store.put_result(job.job_id, &result).await.unwrap();
    let effects = store.recorded_effects(job.job_id, START).await.unwrap();
    assert!(effects.is_empty());
    assert_eq!(effects.result, None);
}

pub async fn a_refund_s_promotions_are_there_to_republish(store: Arc<dyn StateStore>) {
    let job = record("owner", Some(2), 1, 1);
    store.create_job(&job).await.unwrap();
    let (a, b) = (url("a"), url("b"));
    store
        .admit(job.job_id, START, &tasks(&job, &[&a, &b]))
        .await
        .unwrap();
    store
        .record_outcome(job.job_id, START, &PageOutcome::Cancelled)
        .await
        .unwrap();
    let effects = store.recorded_effects(job.job_id, START).await.unwrap();
    assert_eq!(
        effects.outcome.map(|recorded| recorded.outcome),
        Some(PageOutcome::Cancelled)
    );
    // The admitted link, then the one the refund promoted.
    assert_eq!(effects.open_tasks, vec![task(&job, &a), task(&job, &b)]);
    assert_eq!(effects.result, None, "a cancelled page stores no result");
    assert!(!store.close_task(job.job_id, &b, 1).await.unwrap());
    let effects = store.recorded_effects(job.job_id, START).await.unwrap();
    assert_eq!(effects.open_tasks, vec![task(&job, &a)]);
}

pub async fn a_repeated_record_reports_the_first_outcome(store: Arc<dyn StateStore>) {
    let job = record("owner", None, 1, 1);
    store.create_job(&job).await.unwrap();
    let first = store
        .record_outcome(job.job_id, START, &PageOutcome::Finished)
        .await
        .unwrap();
    assert_eq!(first.outcome, PageOutcome::Finished);
    // A second delivery whose attempt failed: the page stays finished, and says so.
    let failed = PageOutcome::Failed {
        reason: "http_500".into(),
    };
    let repeat = store
        .record_outcome(job.job_id, START, &failed)
        .await
        .unwrap();
    assert!(repeat.repeated);
    assert_eq!(repeat.outcome, PageOutcome::Finished);
    assert_eq!((repeat.credits, repeat.current_cost), (1, 1));
}
