//! Restarts the shared RabbitMQ in the middle of a stream of messages. It holds the broker
//! alone ([`crate::broker::alone`]), so no other test sees the outage.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crawler_queue::rabbitmq::{RabbitOptions, RabbitQueue};
use crawler_queue::Queue;
use tokio::time::Instant;

use crate::suite;

type Ids = Arc<Mutex<BTreeSet<u32>>>;

fn id_of(payload: &[u8]) -> u32 {
    let text = std::str::from_utf8(payload).expect("utf-8 payload");
    text.parse().expect("numeric payload")
}

fn count(ids: &Ids) -> usize {
    ids.lock().expect("lock").len()
}

async fn wait_until(what: &str, limit: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !condition() {
        assert!(
            Instant::now() < deadline,
            "timed out after {limit:?} waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn restart_broker() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let status = tokio::process::Command::new("bash")
        .arg("-c")
        .arg("scripts/services restart-rabbitmq")
        .current_dir(&root)
        .status()
        .await
        .expect("run scripts/services");
    assert!(
        status.success(),
        "scripts/services restart-rabbitmq failed: {status}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_confirmed_message_is_consumed_across_a_broker_restart() {
    let _broker = crate::broker::alone().await;
    let url = suite::amqp_url();
    let options = RabbitOptions::default()
        .with_backoff(Duration::from_millis(50), Duration::from_millis(500));
    let queue = match RabbitQueue::connect_with(&url, options).await {
        Ok(queue) => Arc::new(queue),
        Err(error) => {
            panic!("RabbitMQ must be running for this test (scripts/services start): {error}")
        }
    };
    let name = format!("{}.tasks", suite::namespace());
    let confirmed: Ids = Arc::default();
    let consumed: Ids = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let saw_not_ready = Arc::new(AtomicBool::new(false));

    let watcher = tokio::spawn({
        let (queue, stop, saw_not_ready) = (queue.clone(), stop.clone(), saw_not_ready.clone());
        async move {
            while !stop.load(Ordering::SeqCst) {
                if !queue.is_ready().await {
                    saw_not_ready.store(true, Ordering::SeqCst);
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    });
    let publisher = tokio::spawn({
        let (queue, name, stop, confirmed) =
            (queue.clone(), name.clone(), stop.clone(), confirmed.clone());
        async move {
            let mut failures = Vec::new();
            for id in 0u32.. {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                match queue
                    .publish(&name, vec![id.to_string().into_bytes()])
                    .await
                {
                    Ok(()) => {
                        confirmed.lock().expect("lock").insert(id);
                    }
                    Err(error) => failures.push(error.to_string()),
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            failures
        }
    });

    let mut consumer = queue.consume(&name, 10).await.expect("consume");
    // Held unacked across the restart: its ack must then fail, and the broker must
    // deliver it again.
    let held = suite::expect_next(&mut consumer, "the first message").await;
    let consuming = tokio::spawn({
        let consumed = consumed.clone();
        async move {
            while let Some(delivery) = consumer.next().await {
                consumed
                    .lock()
                    .expect("lock")
                    .insert(id_of(&delivery.payload));
                // An ack on a channel lost in the restart fails; the broker redelivers.
                let _ = delivery.ack().await;
            }
        }
    });

    wait_until("20 messages are consumed", Duration::from_secs(10), || {
        count(&consumed) >= 20
    })
    .await;
    restart_broker().await;
    let restarted = Instant::now();
    let ready_again = Duration::from_secs(15);
    while !queue.is_ready().await {
        assert!(
            restarted.elapsed() < ready_again,
            "not ready {ready_again:?} after the restart"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let confirmed_at_restart = count(&confirmed);
    wait_until("publishing resumes", Duration::from_secs(15), || {
        count(&confirmed) >= confirmed_at_restart + 20
    })
    .await;
    stop.store(true, Ordering::SeqCst);
    let failures = publisher.await.expect("publisher task");
    watcher.await.expect("watcher task");

    let all_confirmed = confirmed.lock().expect("lock").clone();
    wait_until(
        "every confirmed message is consumed",
        Duration::from_secs(15),
        || consumed.lock().expect("lock").is_superset(&all_confirmed),
    )
    .await;
    assert!(
        saw_not_ready.load(Ordering::SeqCst),
        "is_ready never reported the outage"
    );
    assert!(
        failures.is_empty(),
        "publishes failed during a short outage: {failures:?}"
    );
    let held_id = id_of(&held.payload);
    assert!(
        held.ack().await.is_err(),
        "an ack on a channel lost in the restart must fail"
    );
    assert!(
        consumed.lock().expect("lock").contains(&held_id),
        "the message unacked at the restart was not delivered again"
    );
    consuming.abort();
    eprintln!(
        "{} messages confirmed, {} consumed, restart at #{confirmed_at_restart}",
        all_confirmed.len(),
        count(&consumed)
    );
}
