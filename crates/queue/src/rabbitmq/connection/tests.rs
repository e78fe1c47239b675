use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use super::*;

fn manager(deadline: Duration) -> ConnectionManager {
    let options = RabbitOptions::default()
        .with_operation_deadline(deadline)
        .with_backoff(Duration::from_millis(100), Duration::from_millis(400));
    ConnectionManager::new("amqp://127.0.0.1:1/%2f", options).unwrap()
}

#[tokio::test(start_paused = true)]
async fn transient_failures_are_retried_until_the_deadline_then_reported() {
    let manager = manager(Duration::from_secs(2));
    let calls = AtomicU32::new(0);
    let started = Instant::now();
    let result: Result<(), _> = manager
        .with_retry("testing", || async {
            let call = calls.fetch_add(1, Ordering::SeqCst);
            Err(QueueError::Unavailable(format!("down {call}")))
        })
        .await;
    let Err(QueueError::Unavailable(message)) = result else {
        panic!("expected Unavailable, got {result:?}");
    };
    let last = calls.load(Ordering::SeqCst) - 1;
    assert!(last >= 5, "only {} attempts", last + 1);
    assert!(
        message.ends_with(&format!(
            "testing gave up after 2s; last failure: broker unavailable: down {last}"
        )),
        "{message}"
    );
    assert!(started.elapsed() >= Duration::from_secs(2));
    assert!(started.elapsed() <= Duration::from_millis(2010));
}

#[tokio::test(start_paused = true)]
async fn an_attempt_still_running_at_the_deadline_is_cut_short() {
    let manager = manager(Duration::from_secs(2));
    let calls = AtomicU32::new(0);
    let started = Instant::now();
    let result: Result<(), _> = manager
        .with_retry("testing", || async {
            if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                Err(QueueError::Unavailable("down".into()))
            } else {
                std::future::pending().await
            }
        })
        .await;
    let Err(QueueError::Unavailable(message)) = result else {
        panic!("expected Unavailable, got {result:?}");
    };
    assert!(
        message.ends_with("last failure: broker unavailable: down"),
        "{message}"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(started.elapsed(), Duration::from_secs(2));

    let silent: Result<(), QueueError> = manager.with_retry("testing", std::future::pending).await;
    let Err(QueueError::Unavailable(message)) = silent else {
        panic!("expected Unavailable, got {silent:?}");
    };
    assert!(message.ends_with("last failure: no reply"), "{message}");
}

#[tokio::test(start_paused = true)]
async fn a_refusal_is_returned_at_once() {
    let manager = manager(Duration::from_secs(2));
    let calls = AtomicU32::new(0);
    let started = Instant::now();
    let result: Result<(), _> = manager
        .with_retry("testing", || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(QueueError::Refused("no".into()))
        })
        .await;
    assert!(matches!(result, Err(QueueError::Refused(reason)) if reason == "no"));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(started.elapsed(), Duration::ZERO);
}
