//! The behavioural suite every queue backend must pass, written once against the `Queue`
//! trait. `suite_tests!` turns each function into a test for one backend.
//!
//! Waits are generous (`WAIT`) where something must arrive and short (`QUIET`) where nothing
//! may: under tokio's paused clock (the memory backend) both cost no real time.

// The restart test uses only the helpers, the backends' modules only the cases.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use crawler_queue::{Consumer, Queue, ReceivedMessage};
use tokio::time::Instant;

mod acknowledgement;
mod flow;

pub use acknowledgement::*;
pub use flow::*;

/// Longest wait for something that must happen.
pub const WAIT: Duration = Duration::from_secs(5);
/// How long to watch for something that must not happen.
pub const QUIET: Duration = Duration::from_millis(300);

/// Expands to one test per suite function, each getting a fresh queue from `$make` and a
/// fresh namespace. With `hold { guard }`, each test first takes the guard and keeps it to
/// its end (the RabbitMQ tests share the broker with a test that restarts it). The calling
/// module must have `suite` in scope.
macro_rules! suite_tests {
    (#[$attr:meta] $(hold $hold:block)? $make:block) => {
        suite_tests!(@each #[$attr] [$($hold)?] $make [
            publish_then_consume_in_order
            ack_removes_the_message
            requeue_redelivers_with_the_flag_set
            unacked_messages_go_to_the_next_consumer_after_close
            dropping_a_consumer_gives_its_messages_back
            prefetch_bounds_unacked_deliveries
            delayed_message_arrives_only_after_its_delay
            competing_consumers_share_the_work
            namespaces_never_see_each_others_messages
            depth_counts_ready_messages
        ]);
    };
    // The hold is passed on as one token tree, so that it can repeat with each name.
    (@each #[$attr:meta] $hold:tt $make:block [$($name:ident)*]) => {
        $(
            suite_tests!(@one #[$attr] $hold $make $name);
        )*
    };
    (@one #[$attr:meta] [$($hold:block)?] $make:block $name:ident) => {
        #[$attr]
        async fn $name() {
            $(let _held = $hold;)?
            let queue: std::sync::Arc<dyn crawler_queue::Queue> = $make;
            suite::$name(queue, suite::namespace()).await;
        }
    };
}

pub fn namespace() -> String {
    format!("test-{}", uuid::Uuid::new_v4())
}

pub fn amqp_url() -> String {
    std::env::var("CRAWLER_TEST_AMQP_URL")
        .unwrap_or_else(|_| "amqp://127.0.0.1:5672/%2f".to_owned())
}

pub fn messages(prefix: &str, count: usize) -> Vec<Vec<u8>> {
    (0..count)
        .map(|i| format!("{prefix}-{i}").into_bytes())
        .collect()
}

pub fn text(delivery: &ReceivedMessage) -> String {
    String::from_utf8_lossy(&delivery.payload).into_owned()
}

pub async fn next_within(
    consumer: &mut Box<dyn Consumer>,
    wait: Duration,
) -> Option<ReceivedMessage> {
    tokio::time::timeout(wait, consumer.next())
        .await
        .ok()
        .flatten()
}

pub async fn expect_next(consumer: &mut Box<dyn Consumer>, what: &str) -> ReceivedMessage {
    match next_within(consumer, WAIT).await {
        Some(delivery) => delivery,
        None => panic!("expected {what} within {WAIT:?}, got nothing"),
    }
}

pub async fn expect_quiet(consumer: &mut Box<dyn Consumer>, why: &str) {
    if let Some(delivery) = next_within(consumer, QUIET).await {
        panic!("expected no delivery ({why}), got {:?}", text(&delivery));
    }
}

pub async fn ack(delivery: ReceivedMessage) {
    delivery.ack().await.expect("ack");
}

pub async fn eventually_depth(queue: &Arc<dyn Queue>, name: &str, expected: u64) {
    let deadline = Instant::now() + WAIT;
    loop {
        let depth = queue.depth(name).await.expect("depth");
        if depth == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "depth of {name} stayed {depth}, expected {expected}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Receives `count` messages, acking each, and returns them by payload.
pub async fn drain(consumer: &mut Box<dyn Consumer>, count: usize) -> Vec<(String, bool)> {
    let mut received = Vec::new();
    for _ in 0..count {
        let delivery = expect_next(consumer, "a message given back").await;
        received.push((text(&delivery), delivery.redelivered));
        ack(delivery).await;
    }
    received
}

pub fn payloads(received: &[(String, bool)]) -> BTreeSet<String> {
    received
        .iter()
        .map(|(payload, _)| payload.clone())
        .collect()
}

pub fn all(prefix: &str, count: usize) -> BTreeSet<String> {
    (0..count).map(|i| format!("{prefix}-{i}")).collect()
}
