//! The `webhook-dispatcher` binary killed with SIGKILL mid-schedule and restarted still
//! delivers: retries wait in the broker, not in a sleeping task of the dead process.

use std::time::Duration;

use crawler_core::EventKind;
use crawler_testkit::process::RoleProcess;
use crawler_testkit::receiver::{signature_is_valid, Behaviour, Receiver};

use crate::harness::{callback, page, Harness, SECRET, WAIT};

#[tokio::test]
async fn a_dispatcher_killed_mid_schedule_delivers_after_restart() {
    let _serial = crate::one_at_a_time().await;
    let h = Harness::new(|s| s.webhook_retry_schedule = "2s".into()).await;
    let rx = Receiver::start_with(Behaviour::FailFirst(1)).await;
    let job = h
        .create_job(callback(&rx.url(), &EventKind::defaults()))
        .await;
    let binary = env!("CARGO_BIN_EXE_webhook-dispatcher");

    let first = RoleProcess::spawn("webhook-dispatcher", binary, &h.role_env());
    first
        .wait_for_log("webhook dispatcher consuming", WAIT)
        .await;
    let sent = h.publish(vec![page(job, "/survivor", "x")]).await;
    rx.wait_until(WAIT, "the first attempt", |r| !r.is_empty())
        .await;
    // The retry is now held by the broker; kill the dispatcher before it is due.
    tokio::time::sleep(Duration::from_millis(300)).await;
    first.kill();
    assert_eq!(rx.received().len(), 1);

    let second = RoleProcess::spawn("webhook-dispatcher", binary, &h.role_env());
    let got = rx.wait_accepted(1, WAIT).await;
    assert_eq!(got[0].header("webhook-id"), Some(sent[0].event_id.as_str()));
    assert!(signature_is_valid(SECRET, &got[0]));
    let attempts = h.deliveries.attempts(job, &sent[0].event_id).await.unwrap();
    let numbers: Vec<u32> = attempts.iter().map(|a| a.attempt).collect();
    assert_eq!(
        numbers,
        [1, 2],
        "the restart resumed the schedule rather than starting over"
    );
    drop(second);
}
