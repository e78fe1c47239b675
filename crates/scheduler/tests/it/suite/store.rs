//! Schedules, the due index, the per-run claim and the run log.

use std::collections::HashSet;

use crawler_core::JobId;
use crawler_scheduler::store::RUN_LOG_CAP;
use crawler_scheduler::{Run, RunOutcome, ScheduleId};

use crate::common::{due_at, schedule, Stores, T0};

fn ids(schedules: &[crawler_scheduler::Schedule]) -> Vec<ScheduleId> {
    schedules.iter().map(|s| s.id).collect()
}

fn started(due_at_ms: u64) -> Run {
    Run {
        due_at_ms,
        started_at_ms: due_at_ms + 5,
        outcome: RunOutcome::Started {
            job_id: JobId::generate(),
        },
    }
}

pub async fn put_then_get_list_and_delete(stores: Stores) {
    let store = stores.a;
    let older = schedule("alice", 60_000, T0 + 1);
    let newer = schedule("alice", 60_000, T0 + 2);
    let other = schedule("bob", 60_000, T0);
    // Put out of order: list sorts by creation.
    for s in [&newer, &other, &older] {
        store.put(s).await.unwrap();
    }
    assert_eq!(store.get(older.id).await.unwrap(), Some(older.clone()));
    assert_eq!(
        stores.b.get(other.id).await.unwrap(),
        Some(other.clone()),
        "a second handle reads the same store"
    );
    assert_eq!(
        store.list("alice").await.unwrap(),
        vec![older.clone(), newer.clone()]
    );
    assert_eq!(store.list("bob").await.unwrap(), vec![other.clone()]);
    assert_eq!(store.list("nobody").await.unwrap(), vec![]);
    assert_eq!(store.list("alic").await.unwrap(), vec![], "no prefix match");

    let mut renamed = newer.clone();
    renamed.name = "renamed".to_owned();
    store.put(&renamed).await.unwrap();
    assert_eq!(store.get(newer.id).await.unwrap(), Some(renamed.clone()));
    assert_eq!(
        store.list("alice").await.unwrap(),
        vec![older.clone(), renamed]
    );

    assert!(store.delete(older.id).await.unwrap());
    assert_eq!(store.get(older.id).await.unwrap(), None);
    assert_eq!(ids(&store.list("alice").await.unwrap()), vec![newer.id]);
    assert!(!store.delete(older.id).await.unwrap(), "already deleted");
    assert!(!store.delete(ScheduleId::generate()).await.unwrap());
    assert_eq!(store.get(ScheduleId::generate()).await.unwrap(), None);
    // `other` was created first, so it is due first.
    assert_eq!(
        ids(&store.due(u64::MAX, 10).await.unwrap()),
        vec![other.id, newer.id],
        "a deleted schedule leaves the due index"
    );
}

pub async fn replace_moves_the_indexes_with_the_schedule(stores: Stores) {
    let store = stores.a;
    let original = schedule("alice", 60_000, T0);
    store.put(&original).await.unwrap();
    store.record_run(original.id, &started(T0)).await.unwrap();

    let mut moved = original.clone();
    moved.owner = "bob".to_owned();
    moved.enabled = false;
    store.put(&moved).await.unwrap();
    assert_eq!(store.list("alice").await.unwrap(), vec![]);
    assert_eq!(store.list("bob").await.unwrap(), vec![moved.clone()]);
    assert_eq!(store.due(u64::MAX, 10).await.unwrap(), vec![], "disabled");
    assert_eq!(
        store.runs(original.id).await.unwrap().len(),
        1,
        "a replace keeps the run log"
    );

    moved.enabled = true;
    moved.next_run_ms = Some(T0 + 5);
    store.put(&moved).await.unwrap();
    assert_eq!(store.due(T0 + 4, 10).await.unwrap(), vec![]);
    assert_eq!(store.due(T0 + 5, 10).await.unwrap(), vec![moved]);
}

pub async fn due_is_ordered_by_time_and_capped_by_limit(stores: Stores) {
    let store = stores.a;
    let at_300 = due_at(Some(T0 + 300), true);
    let at_100 = due_at(Some(T0 + 100), true);
    let at_200 = due_at(Some(T0 + 200), true);
    let at_500 = due_at(Some(T0 + 500), true);
    let disabled = due_at(Some(T0 + 50), false);
    let never = due_at(None, true);
    for s in [&at_300, &at_100, &at_200, &at_500, &disabled, &never] {
        store.put(s).await.unwrap();
    }
    assert_eq!(store.due(T0 + 99, 10).await.unwrap(), vec![]);
    assert_eq!(
        store.due(T0 + 250, 10).await.unwrap(),
        vec![at_100.clone(), at_200.clone()]
    );
    assert_eq!(
        store.due(T0 + 300, 10).await.unwrap(),
        vec![at_100.clone(), at_200.clone(), at_300.clone()],
        "due at exactly now counts"
    );
    assert_eq!(
        ids(&store.due(u64::MAX, 2).await.unwrap()),
        vec![at_100.id, at_200.id]
    );
    assert_eq!(
        ids(&store.due(u64::MAX, 10).await.unwrap()),
        vec![at_100.id, at_200.id, at_300.id, at_500.id],
        "neither the disabled schedule nor the one with no next time is due"
    );
}

pub async fn claim_run_is_a_compare_and_set(stores: Stores) {
    let store = stores.a;
    let s = due_at(Some(T0), true);
    store.put(&s).await.unwrap();

    assert!(!store.claim_run(s.id, T0 - 1, Some(T0 + 10)).await.unwrap());
    assert!(store.claim_run(s.id, T0, Some(T0 + 10)).await.unwrap());
    let claimed = store.get(s.id).await.unwrap().unwrap();
    assert_eq!(claimed.next_run_ms, Some(T0 + 10));
    assert_eq!(store.due(T0 + 9, 10).await.unwrap(), vec![]);
    assert_eq!(store.due(T0 + 10, 10).await.unwrap(), vec![claimed]);
    assert!(
        !stores.b.claim_run(s.id, T0, Some(T0 + 10)).await.unwrap(),
        "the same due time is claimed once"
    );

    // The last run of a trigger leaves the due index.
    assert!(store.claim_run(s.id, T0 + 10, None).await.unwrap());
    assert_eq!(store.get(s.id).await.unwrap().unwrap().next_run_ms, None);
    assert_eq!(store.due(u64::MAX, 10).await.unwrap(), vec![]);
    assert!(!store.claim_run(s.id, T0 + 10, None).await.unwrap());

    let disabled = due_at(Some(T0), false);
    store.put(&disabled).await.unwrap();
    assert!(!store
        .claim_run(disabled.id, T0, Some(T0 + 10))
        .await
        .unwrap());
    assert_eq!(
        store.get(disabled.id).await.unwrap().unwrap().next_run_ms,
        Some(T0),
        "a refused claim changes nothing"
    );
    assert!(!store
        .claim_run(ScheduleId::generate(), T0, Some(T0 + 10))
        .await
        .unwrap());
}

pub async fn concurrent_claims_of_one_due_time_succeed_once(stores: Stores) {
    const CLAIMS: usize = 16;
    let s = due_at(Some(T0), true);
    stores.a.put(&s).await.unwrap();
    let mut handles = Vec::new();
    for k in 0..CLAIMS {
        let store = if k % 2 == 0 {
            stores.a.clone()
        } else {
            stores.b.clone()
        };
        handles.push(tokio::spawn(async move {
            store.claim_run(s.id, T0, Some(T0 + 60_000)).await.unwrap()
        }));
    }
    let mut won = 0;
    for handle in handles {
        won += usize::from(handle.await.unwrap());
    }
    assert_eq!(won, 1, "exactly one of {CLAIMS} concurrent claims wins");
}

pub async fn run_log_keeps_the_newest_runs_first(stores: Stores) {
    let store = stores.a;
    let s = due_at(Some(T0), true);
    store.put(&s).await.unwrap();
    assert_eq!(store.runs(s.id).await.unwrap(), vec![]);
    let extra = 5;
    let runs: Vec<Run> = (0..(RUN_LOG_CAP + extra) as u64)
        .map(|k| started(T0 + k))
        .collect();
    for run in &runs {
        store.record_run(s.id, run).await.unwrap();
    }
    let kept = store.runs(s.id).await.unwrap();
    let expected: Vec<Run> = runs.iter().rev().take(RUN_LOG_CAP).cloned().collect();
    assert_eq!(kept, expected, "the newest {RUN_LOG_CAP}, newest first");
    let skipped = Run {
        due_at_ms: T0 + 99,
        started_at_ms: T0 + 99,
        outcome: RunOutcome::Skipped {
            reason: "busy".to_owned(),
        },
    };
    store.record_run(s.id, &skipped).await.unwrap();
    assert_eq!(store.runs(s.id).await.unwrap()[0], skipped);

    assert!(store.delete(s.id).await.unwrap());
    assert_eq!(store.runs(s.id).await.unwrap(), vec![], "deleted with it");
    store.record_run(s.id, &started(T0)).await.unwrap();
    assert_eq!(
        store.runs(s.id).await.unwrap(),
        vec![],
        "a run finishing after the delete is dropped"
    );
    let distinct: HashSet<u64> = kept.iter().map(|run| run.due_at_ms).collect();
    assert_eq!(distinct.len(), RUN_LOG_CAP);
}

pub async fn replace_writes_only_over_the_schedule_as_read(stores: Stores) {
    let store = stores.a;
    let s = schedule("alice", 60_000, T0);
    let due = s.next_run_ms;
    store.put(&s).await.unwrap();
    store.record_run(s.id, &started(T0)).await.unwrap();

    // A change over what was read is written, and the run log stays.
    let mut disabled = s.clone();
    disabled.enabled = false;
    assert!(store.replace(&disabled, due).await.unwrap());
    assert_eq!(store.get(s.id).await.unwrap(), Some(disabled.clone()));
    assert_eq!(store.due(u64::MAX, 10).await.unwrap(), vec![]);
    assert_eq!(store.runs(s.id).await.unwrap().len(), 1);

    // A run claimed after the read moved the next time: the stale change is refused, so
    // it cannot put the claimed due time back and start that run a second time.
    let mut enabled = disabled.clone();
    enabled.enabled = true;
    assert!(store.replace(&enabled, due).await.unwrap());
    let next = due.map(|d| d + 60_000);
    assert!(store.claim_run(s.id, due.unwrap(), next).await.unwrap());
    let mut stale = enabled.clone();
    stale.name = "stale".to_owned();
    assert!(!stores.b.replace(&stale, due).await.unwrap());
    assert_eq!(store.get(s.id).await.unwrap().unwrap().next_run_ms, next);

    // A deleted schedule is not brought back.
    assert!(store.delete(s.id).await.unwrap());
    assert!(!store.replace(&stale, next).await.unwrap());
    assert_eq!(store.get(s.id).await.unwrap(), None);
    assert_eq!(store.list("alice").await.unwrap(), vec![]);
}
