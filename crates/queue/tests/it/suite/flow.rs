//! Suite cases about where messages go and when: order, delays, competing consumers,
//! isolation between queues, depth.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use crawler_queue::Queue;
use tokio::time::Instant;

use super::*;

pub async fn publish_then_consume_in_order(queue: Arc<dyn Queue>, ns: String) {
    let name = format!("{ns}.tasks");
    queue
        .publish(&name, messages("first", 5))
        .await
        .expect("publish");
    queue
        .publish(&name, messages("second", 5))
        .await
        .expect("publish");
    let mut consumer = queue.consume(&name, 10).await.expect("consume");
    let mut received = Vec::new();
    for _ in 0..10 {
        let delivery = expect_next(&mut consumer, "a published message").await;
        assert!(!delivery.redelivered, "first delivery marked redelivered");
        received.push(text(&delivery));
        ack(delivery).await;
    }
    let expected: Vec<String> = messages("first", 5)
        .into_iter()
        .chain(messages("second", 5))
        .map(|m| String::from_utf8(m).expect("utf-8"))
        .collect();
    assert_eq!(received, expected);
    consumer.close().await;
}

pub async fn delayed_message_arrives_only_after_its_delay(queue: Arc<dyn Queue>, ns: String) {
    let name = format!("{ns}.retries");
    let delay = Duration::from_secs(1);
    let mut consumer = queue.consume(&name, 5).await.expect("consume");
    let started = Instant::now();
    queue
        .publish_delayed(&name, b"later".to_vec(), delay)
        .await
        .expect("publish delayed");
    queue
        .publish(&name, vec![b"now".to_vec()])
        .await
        .expect("publish");

    let now = expect_next(&mut consumer, "the undelayed message").await;
    assert_eq!(text(&now), "now");
    ack(now).await;
    assert_eq!(
        queue.depth(&name).await.expect("depth"),
        0,
        "the delayed message is not visible yet"
    );
    let early = tokio::time::timeout_at(started + delay * 3 / 4, consumer.next()).await;
    assert!(early.is_err(), "nothing may arrive before the delay");

    let later = expect_next(&mut consumer, "the delayed message").await;
    assert_eq!(text(&later), "later");
    assert!(
        started.elapsed() >= delay,
        "arrived after {:?}, before its delay",
        started.elapsed()
    );
    ack(later).await;
    consumer.close().await;
}

pub async fn competing_consumers_share_the_work(queue: Arc<dyn Queue>, ns: String) {
    let name = format!("{ns}.tasks");
    queue
        .publish(&name, messages("shared", 10))
        .await
        .expect("publish");
    let mut a = queue.consume(&name, 3).await.expect("consume");
    let mut b = queue.consume(&name, 3).await.expect("consume");
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(expect_next(&mut a, "a message for the first consumer").await);
    }
    for _ in 0..3 {
        held.push(expect_next(&mut b, "a message for the second consumer").await);
    }
    let mut seen: Vec<String> = held.iter().map(text).collect();
    for delivery in held {
        ack(delivery).await;
    }
    while seen.len() < 10 {
        let delivery = tokio::select! {
            Some(delivery) = a.next() => delivery,
            Some(delivery) = b.next() => delivery,
            _ = tokio::time::sleep(WAIT) => panic!("only {} of 10 messages arrived", seen.len()),
        };
        seen.push(text(&delivery));
        ack(delivery).await;
    }
    let distinct: BTreeSet<String> = seen.iter().cloned().collect();
    assert_eq!(
        distinct.len(),
        seen.len(),
        "a message went to both consumers: {seen:?}"
    );
    assert_eq!(distinct, all("shared", 10));
    a.close().await;
    b.close().await;
}

pub async fn namespaces_never_see_each_others_messages(queue: Arc<dyn Queue>, ns: String) {
    let other = namespace();
    let mine = format!("{ns}.tasks");
    let theirs = format!("{other}.tasks");
    queue
        .publish(&mine, vec![b"mine".to_vec()])
        .await
        .expect("publish");
    queue
        .publish(&theirs, vec![b"theirs".to_vec()])
        .await
        .expect("publish");
    assert_eq!(queue.depth(&mine).await.expect("depth"), 1);
    assert_eq!(queue.depth(&theirs).await.expect("depth"), 1);
    for (name, payload) in [(&mine, "mine"), (&theirs, "theirs")] {
        let mut consumer = queue.consume(name, 5).await.expect("consume");
        let delivery = expect_next(&mut consumer, payload).await;
        assert_eq!(text(&delivery), payload);
        ack(delivery).await;
        expect_quiet(&mut consumer, "the other namespace's message stays there").await;
        consumer.close().await;
    }
}

pub async fn depth_counts_ready_messages(queue: Arc<dyn Queue>, ns: String) {
    let name = format!("{ns}.tasks");
    assert_eq!(queue.depth(&name).await.expect("depth of a new queue"), 0);
    queue
        .publish(&name, messages("counted", 3))
        .await
        .expect("publish");
    assert_eq!(queue.depth(&name).await.expect("depth"), 3);
    let mut consumer = queue.consume(&name, 1).await.expect("consume");
    let delivery = expect_next(&mut consumer, "a message").await;
    // The unacked delivery no longer counts.
    eventually_depth(&queue, &name, 2).await;
    ack(delivery).await;
    consumer.close().await;
    eventually_depth(&queue, &name, 2).await;
}
