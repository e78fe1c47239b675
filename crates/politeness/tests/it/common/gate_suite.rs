//! The gate conformance suite: every behaviour both host gates must share, written once
//! against `Arc<dyn HostGate>` built with [`TEST_GATE`] settings. Real time, in tens of
//! milliseconds, because the Redis gate runs on the Redis server's clock.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crawler_politeness::{Backoff, Gate, HostGate, Lease, PaceRules};

use super::TEST_GATE;

const HOST: &str = "http://a.test:80";
const OTHER_HOST: &str = "http://b.test:80";

/// Slack for the time between the store deciding and the test observing.
const SLACK: Duration = Duration::from_millis(30);

fn rules(max_concurrency: u32, min_interval_ms: u64) -> PaceRules {
    PaceRules {
        max_concurrency,
        min_interval: Duration::from_millis(min_interval_ms),
    }
}

async fn acquire(gate: &Arc<dyn HostGate>, host: &str, rules: PaceRules) -> Gate {
    gate.acquire(host, rules).await.expect("the gate answers")
}

async fn granted(gate: &Arc<dyn HostGate>, host: &str, rules: PaceRules) -> Lease {
    match acquire(gate, host, rules).await {
        Gate::Granted(lease) => lease,
        Gate::Wait(wait) => panic!("expected a grant on {host}, was told to wait {wait:?}"),
    }
}

async fn waits(gate: &Arc<dyn HostGate>, host: &str, rules: PaceRules) -> Duration {
    match acquire(gate, host, rules).await {
        Gate::Wait(wait) => wait,
        Gate::Granted(lease) => panic!("expected a wait on {host}, was granted {lease:?}"),
    }
}

/// Asks until granted, sleeping as told in between, like a worker re-queueing its task.
async fn granted_eventually(gate: &Arc<dyn HostGate>, host: &str, rules: PaceRules) -> Lease {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match acquire(gate, host, rules).await {
            Gate::Granted(lease) => return lease,
            Gate::Wait(wait) => {
                assert!(!wait.is_zero(), "a wait is never zero");
                assert!(Instant::now() < deadline, "never granted");
                tokio::time::sleep(wait).await;
            }
        }
    }
}

async fn release(gate: &Arc<dyn HostGate>, lease: &Lease, backoff: Option<Backoff>) {
    gate.release(lease, backoff)
        .await
        .expect("the gate answers");
}

fn assert_between(wait: Duration, low: Duration, high: Duration) {
    assert!(
        low <= wait && wait <= high,
        "wait {wait:?} outside {low:?}..={high:?}"
    );
}

pub async fn concurrency_limit_holds_under_many_acquirers(gate: Arc<dyn HostGate>) {
    let in_flight = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let mut fetches = Vec::new();
    for _ in 0..24 {
        let (gate, in_flight, most) = (gate.clone(), in_flight.clone(), most.clone());
        fetches.push(tokio::spawn(async move {
            let lease = granted_eventually(&gate, HOST, rules(3, 0)).await;
            // Counted only between the grant arriving and the release leaving, so the
            // count never exceeds what the store holds.
            let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(15)).await;
            in_flight.fetch_sub(1, Ordering::SeqCst);
            release(&gate, &lease, None).await;
        }));
    }
    for fetch in futures::future::join_all(fetches).await {
        fetch.expect("no acquirer panicked");
    }
    assert_eq!(
        most.load(Ordering::SeqCst),
        3,
        "at most and at best 3 at once"
    );
}

pub async fn min_interval_spaces_every_grant(gate: Arc<dyn HostGate>) {
    let interval = Duration::from_millis(100);
    let mut starts = Vec::new();
    let mut fetches = Vec::new();
    for _ in 0..5 {
        let gate = gate.clone();
        fetches.push(tokio::spawn(async move {
            let lease = granted_eventually(&gate, HOST, rules(10, 100)).await;
            let granted_at = Instant::now();
            release(&gate, &lease, None).await;
            granted_at
        }));
    }
    for fetch in futures::future::join_all(fetches).await {
        starts.push(fetch.expect("no acquirer panicked"));
    }
    starts.sort();
    for pair in starts.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(gap + SLACK >= interval, "two starts only {gap:?} apart");
    }
}

pub async fn wait_is_the_time_to_the_next_allowed_start(gate: Arc<dyn HostGate>) {
    let lease = granted(&gate, HOST, rules(5, 250)).await;
    let wait = waits(&gate, HOST, rules(5, 250)).await;
    assert_between(
        wait,
        Duration::from_millis(250) - SLACK,
        Duration::from_millis(250),
    );
    // Releasing without a backoff does not bring the next start forward.
    release(&gate, &lease, None).await;
    let again = waits(&gate, HOST, rules(5, 250)).await;
    assert!(again <= wait);
    tokio::time::sleep(again).await;
    granted(&gate, HOST, rules(5, 250)).await;
}

pub async fn wait_is_short_when_every_slot_is_busy(gate: Arc<dyn HostGate>) {
    let _held = granted(&gate, HOST, rules(1, 0)).await;
    let wait = waits(&gate, HOST, rules(1, 0)).await;
    assert_between(wait, Duration::from_millis(1), TEST_GATE.busy_retry);
}

pub async fn release_frees_a_slot_once(gate: Arc<dyn HostGate>) {
    let first = granted(&gate, HOST, rules(2, 0)).await;
    let _second = granted(&gate, HOST, rules(2, 0)).await;
    waits(&gate, HOST, rules(2, 0)).await;
    release(&gate, &first, None).await;
    let _third = granted(&gate, HOST, rules(2, 0)).await;
    // A repeated release must not free the slot of another lease.
    release(&gate, &first, None).await;
    waits(&gate, HOST, rules(2, 0)).await;
}

pub async fn backoff_delays_the_next_grant(gate: Arc<dyn HostGate>) {
    let lease = granted(&gate, HOST, rules(4, 0)).await;
    let pause = Duration::from_millis(150);
    release(&gate, &lease, Some(Backoff::Exactly(pause))).await;
    let wait = waits(&gate, HOST, rules(4, 0)).await;
    assert_between(wait, pause - SLACK, pause);
    // A repeat of the same release applies no second backoff.
    release(&gate, &lease, Some(Backoff::Exactly(pause))).await;
    assert!(waits(&gate, HOST, rules(4, 0)).await <= wait);
    tokio::time::sleep(wait).await;
    granted(&gate, HOST, rules(4, 0)).await;
}

pub async fn escalating_backoff_doubles_to_its_cap_and_resets(gate: Arc<dyn HostGate>) {
    let throttled = Some(Backoff::Escalating {
        base: Duration::from_millis(50),
        cap: Duration::from_millis(150),
    });
    let mut observed = Vec::new();
    for backoff in [throttled, throttled, throttled, throttled, None, throttled] {
        let lease = granted_eventually(&gate, HOST, rules(4, 0)).await;
        release(&gate, &lease, backoff).await;
        observed.push(match acquire(&gate, HOST, rules(4, 0)).await {
            Gate::Wait(wait) => wait,
            Gate::Granted(lease) => {
                release(&gate, &lease, None).await;
                Duration::ZERO
            }
        });
    }
    let expected = [50, 100, 150, 150, 0, 50].map(Duration::from_millis);
    for (wait, pause) in observed.iter().zip(expected) {
        assert!(
            *wait <= pause && *wait + SLACK >= pause,
            "waits {observed:?}, expected about {expected:?}"
        );
    }
}

pub async fn expired_leases_are_reclaimed(gate: Arc<dyn HostGate>) {
    let abandoned = granted(&gate, HOST, rules(1, 0)).await;
    waits(&gate, HOST, rules(1, 0)).await;
    tokio::time::sleep(TEST_GATE.lease_ttl + Duration::from_millis(20)).await;
    let _fresh = granted(&gate, HOST, rules(1, 0)).await;
    // The late release of the expired lease does not free the fresh lease's slot.
    release(&gate, &abandoned, None).await;
    waits(&gate, HOST, rules(1, 0)).await;
}

pub async fn hosts_are_independent(gate: Arc<dyn HostGate>) {
    let lease = granted(&gate, HOST, rules(1, 0)).await;
    waits(&gate, HOST, rules(1, 0)).await;
    let other = granted(&gate, OTHER_HOST, rules(1, 0)).await;
    release(
        &gate,
        &lease,
        Some(Backoff::Exactly(Duration::from_secs(5))),
    )
    .await;
    release(&gate, &other, None).await;
    granted(&gate, OTHER_HOST, rules(1, 0)).await;
    assert!(waits(&gate, HOST, rules(1, 0)).await > Duration::from_secs(4));
}
