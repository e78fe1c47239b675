//! The tick loop on a [`ManualClock`]: schedule times are stepped, never waited for. Only
//! lease TTLs, which the store keeps in real time, are waited for.

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;
use std::time::Duration;

use crawler_scheduler::tick::{run, tick_once};
use crawler_scheduler::{
    Clock, LaunchError, ManualClock, Run, RunOutcome, Schedule, ScheduleStore, TickConfig,
    TickReport,
};

use crate::common::{config, schedule, CountingLauncher, Stores, T0};

const MINUTE: u64 = 60_000;

async fn tick(
    store: &Arc<dyn ScheduleStore>,
    launcher: &Arc<CountingLauncher>,
    clock: &ManualClock,
    config: &TickConfig,
) -> TickReport {
    tick_once(store.as_ref(), launcher.as_ref(), clock, config)
        .await
        .expect("the store answers")
}

/// Checks that the tick held the lease and started `n` runs, nothing else.
fn started(report: TickReport, n: usize) {
    let expected = TickReport {
        holds_lease: true,
        started: n,
        ..TickReport::default()
    };
    assert_eq!(report, expected, "expected {n} started by the lease holder");
}

/// Waits (in real time, at most 10 s) until `done` holds.
async fn wait_until(what: &str, done: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

pub async fn interval_schedule_starts_at_its_times_and_not_before(stores: Stores) {
    let (store, clock, launcher) = (stores.a, ManualClock::new(T0), CountingLauncher::starting());
    let config = config("one");
    let s = schedule("owner", MINUTE, T0);
    store.put(&s).await.unwrap();

    started(tick(&store, &launcher, &clock, &config).await, 0);
    clock.advance(Duration::from_millis(MINUTE - 1));
    started(tick(&store, &launcher, &clock, &config).await, 0);
    clock.advance(Duration::from_millis(1));
    started(tick(&store, &launcher, &clock, &config).await, 1);
    started(tick(&store, &launcher, &clock, &config).await, 0);
    assert_eq!(
        store.get(s.id).await.unwrap().unwrap().next_run_ms,
        Some(T0 + 2 * MINUTE)
    );
    clock.advance(Duration::from_millis(MINUTE - 1));
    started(tick(&store, &launcher, &clock, &config).await, 0);
    clock.advance(Duration::from_millis(1));
    started(tick(&store, &launcher, &clock, &config).await, 1);

    let launches = launcher.launches();
    let dues: Vec<u64> = launches.iter().map(|(_, due, _)| *due).collect();
    assert_eq!(dues, vec![T0 + MINUTE, T0 + 2 * MINUTE]);
    let expected: Vec<Run> = launches
        .iter()
        .rev()
        .map(|(_, due, job_id)| Run {
            due_at_ms: *due,
            started_at_ms: *due,
            outcome: RunOutcome::Started { job_id: *job_id },
        })
        .collect();
    assert_eq!(store.runs(s.id).await.unwrap(), expected);
}

/// Steps two loops concurrently over `ticks` ticks of 7 s (shorter than every interval, so
/// no due time is skipped) and checks that each due time was launched exactly once.
/// Returns how many of the two loops held the lease at each tick.
async fn two_loops(stores: Stores, holders: [&str; 2], ticks: u64) -> Vec<usize> {
    const STEP: u64 = 7_000;
    let clock = ManualClock::new(T0);
    let launcher = CountingLauncher::starting();
    let schedules: Vec<Schedule> = [10_000, 25_000, MINUTE]
        .into_iter()
        .map(|every| schedule("owner", every, T0))
        .collect();
    for s in &schedules {
        stores.a.put(s).await.unwrap();
    }
    let mut leaders = Vec::new();
    for _ in 0..ticks {
        clock.advance(Duration::from_millis(STEP));
        let handles: Vec<_> = [(&stores.a, holders[0]), (&stores.b, holders[1])]
            .into_iter()
            .map(|(store, holder)| {
                let (store, launcher, clock) = (store.clone(), launcher.clone(), clock.clone());
                let config = config(holder);
                tokio::spawn(async move { tick(&store, &launcher, &clock, &config).await })
            })
            .collect();
        let mut holding = 0;
        for handle in handles {
            holding += usize::from(handle.await.unwrap().holds_lease);
        }
        leaders.push(holding);
    }

    let launches = launcher.launches();
    let launched: HashSet<_> = launches.iter().map(|(id, due, _)| (*id, *due)).collect();
    assert_eq!(launched.len(), launches.len(), "a due run started twice");
    let end = clock.now_ms();
    let mut expected = BTreeSet::new();
    for s in &schedules {
        let crawler_scheduler::Trigger::Interval { every_ms: every } = s.trigger else {
            panic!("the loops run interval schedules");
        };
        let mut due = T0 + every;
        while due <= end {
            expected.insert((s.id, due));
            due += every;
        }
    }
    let launched: BTreeSet<_> = launched.into_iter().collect();
    assert_eq!(launched, expected, "every due run started, none twice");
    leaders
}

pub async fn two_loops_start_each_due_run_exactly_once(stores: Stores) {
    let leaders = two_loops(stores, ["one", "two"], 150).await;
    assert!(
        leaders.iter().all(|holding| *holding == 1),
        "exactly one loop holds the lease at each tick: {leaders:?}"
    );
}

/// Two loops under one holder name both pass the lease check, as two processes do when a
/// stalled holder's lease was taken over: only the per-run claim keeps runs single.
pub async fn two_loops_that_both_think_they_lead_still_start_each_run_once(stores: Stores) {
    let leaders = two_loops(stores, ["same", "same"], 150).await;
    assert!(leaders.iter().all(|holding| *holding == 2), "{leaders:?}");
}

pub async fn other_loop_takes_over_after_the_lease_ttl(stores: Stores) {
    let (clock, launcher) = (ManualClock::new(T0), CountingLauncher::starting());
    let ttl = Duration::from_millis(600);
    let one = TickConfig {
        lease_ttl: ttl,
        ..config("one")
    };
    let two = TickConfig {
        lease_ttl: ttl,
        ..config("two")
    };
    let s = schedule("owner", MINUTE, T0);
    stores.a.put(&s).await.unwrap();

    started(tick(&stores.a, &launcher, &clock, &one).await, 0);
    // "one" stops without releasing its lease, as a crashed process would.
    clock.set(T0 + MINUTE);
    let waiting = tick(&stores.b, &launcher, &clock, &two).await;
    assert_eq!(waiting, TickReport::default(), "the lease is still held");
    assert_eq!(launcher.count(), 0);

    tokio::time::sleep(ttl + Duration::from_millis(400)).await;
    started(tick(&stores.b, &launcher, &clock, &two).await, 1);
    assert!(!tick(&stores.a, &launcher, &clock, &one).await.holds_lease);
    assert_eq!(launcher.count(), 1);
}

pub async fn run_loop_starts_due_runs_and_releases_the_lease_on_shutdown(stores: Stores) {
    let (clock, launcher) = (ManualClock::new(T0), CountingLauncher::starting());
    let s = schedule("owner", MINUTE, T0);
    stores.a.put(&s).await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(run(
        stores.a.clone(),
        launcher.clone(),
        Arc::new(clock.clone()),
        config("loop"),
        stopped,
    ));

    clock.set(T0 + MINUTE);
    wait_until("the first run", || launcher.count() == 1).await;
    clock.set(T0 + 2 * MINUTE);
    wait_until("the second run", || launcher.count() == 2).await;
    stop.send(()).unwrap();
    handle.await.unwrap().expect("the loop ends cleanly");

    assert_eq!(launcher.count(), 2);
    assert_eq!(stores.a.runs(s.id).await.unwrap().len(), 2);
    assert!(
        stores
            .b
            .acquire_lease("other", Duration::from_secs(30))
            .await
            .unwrap(),
        "the stopped loop released its lease"
    );
}

pub async fn disabled_schedule_starts_nothing(stores: Stores) {
    let (store, clock, launcher) = (stores.a, ManualClock::new(T0), CountingLauncher::starting());
    let mut s = schedule("owner", MINUTE, T0);
    s.enabled = false;
    store.put(&s).await.unwrap();
    for _ in 0..10 {
        clock.advance(Duration::from_millis(MINUTE));
        started(tick(&store, &launcher, &clock, &config("one")).await, 0);
    }
    assert_eq!(launcher.count(), 0);
    assert_eq!(store.runs(s.id).await.unwrap(), vec![]);
    assert_eq!(store.get(s.id).await.unwrap(), Some(s));
}

pub async fn runs_missed_during_an_outage_start_once(stores: Stores) {
    let (store, clock, launcher) = (stores.a, ManualClock::new(T0), CountingLauncher::starting());
    let config = config("one");
    let s = schedule("owner", MINUTE, T0);
    store.put(&s).await.unwrap();

    // Every scheduler was down from before the first due time until ten intervals later.
    clock.set(T0 + MINUTE + 10 * MINUTE + 1_000);
    started(tick(&store, &launcher, &clock, &config).await, 1);
    started(tick(&store, &launcher, &clock, &config).await, 0);
    assert_eq!(
        store.get(s.id).await.unwrap().unwrap().next_run_ms,
        Some(T0 + 12 * MINUTE),
        "the next due time is the first one after now"
    );
    clock.set(T0 + 12 * MINUTE);
    started(tick(&store, &launcher, &clock, &config).await, 1);

    let dues: Vec<u64> = launcher.launches().iter().map(|(_, d, _)| *d).collect();
    assert_eq!(dues, vec![T0 + MINUTE, T0 + 12 * MINUTE]);
}

pub async fn skip_answer_records_a_skipped_run(stores: Stores) {
    let (store, clock) = (stores.a, ManualClock::new(T0));
    let reason = "the previous run is still going".to_owned();
    let launcher = CountingLauncher::answering(Some(LaunchError::Skip(reason.clone())));
    let s = schedule("owner", MINUTE, T0);
    store.put(&s).await.unwrap();

    clock.set(T0 + MINUTE + 5);
    let report = tick(&store, &launcher, &clock, &config("one")).await;
    assert_eq!(
        report,
        TickReport {
            holds_lease: true,
            skipped: 1,
            ..TickReport::default()
        }
    );
    assert_eq!(
        store.runs(s.id).await.unwrap(),
        vec![Run {
            due_at_ms: T0 + MINUTE,
            started_at_ms: T0 + MINUTE + 5,
            outcome: RunOutcome::Skipped { reason },
        }]
    );
    assert_eq!(
        store.get(s.id).await.unwrap().unwrap().next_run_ms,
        Some(T0 + 2 * MINUTE)
    );
    tick(&store, &launcher, &clock, &config("one")).await;
    assert_eq!(launcher.count(), 1, "a skipped run is not retried");
}

pub async fn failed_launch_is_recorded_and_the_schedule_goes_on(stores: Stores) {
    let (store, clock) = (stores.a, ManualClock::new(T0));
    let reason = "job store unavailable".to_owned();
    let launcher = CountingLauncher::answering(Some(LaunchError::Failed(reason.clone())));
    let s = schedule("owner", MINUTE, T0);
    store.put(&s).await.unwrap();

    clock.set(T0 + MINUTE);
    let report = tick(&store, &launcher, &clock, &config("one")).await;
    assert_eq!((report.failed, report.started), (1, 0));
    clock.set(T0 + 2 * MINUTE);
    tick(&store, &launcher, &clock, &config("one")).await;
    let outcomes: Vec<(u64, RunOutcome)> = store
        .runs(s.id)
        .await
        .unwrap()
        .into_iter()
        .map(|run| (run.due_at_ms, run.outcome))
        .collect();
    let failed = RunOutcome::Failed { reason };
    assert_eq!(
        outcomes,
        vec![(T0 + 2 * MINUTE, failed.clone()), (T0 + MINUTE, failed)]
    );
}
