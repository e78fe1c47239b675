//! Suite cases about acknowledgement: ack, requeue, prefetch, and what happens to
//! unacknowledged messages when their consumer goes away.

use std::collections::BTreeSet;
use std::sync::Arc;

use crawler_queue::Queue;

use super::*;

pub async fn ack_removes_the_message(queue: Arc<dyn Queue>, ns: String) {
    let name = format!("{ns}.tasks");
    queue
        .publish(&name, messages("once", 1))
        .await
        .expect("publish");
    eventually_depth(&queue, &name, 1).await;
    let mut consumer = queue.consume(&name, 1).await.expect("consume");
    ack(expect_next(&mut consumer, "the message").await).await;
    consumer.close().await;
    let mut next = queue.consume(&name, 1).await.expect("consume");
    expect_quiet(&mut next, "an acked message is gone").await;
    assert_eq!(queue.depth(&name).await.expect("depth"), 0);
    next.close().await;
}

pub async fn requeue_redelivers_with_the_flag_set(queue: Arc<dyn Queue>, ns: String) {
    let name = format!("{ns}.tasks");
    queue
        .publish(&name, messages("again", 1))
        .await
        .expect("publish");
    let mut consumer = queue.consume(&name, 1).await.expect("consume");
    let first = expect_next(&mut consumer, "the message").await;
    assert!(!first.redelivered);
    first.requeue().await.expect("requeue");
    let second = expect_next(&mut consumer, "the requeued message").await;
    assert_eq!(text(&second), "again-0");
    assert!(
        second.redelivered,
        "a requeued message must come back marked redelivered"
    );
    ack(second).await;
    expect_quiet(&mut consumer, "the message was acked").await;
    consumer.close().await;
}

pub async fn unacked_messages_go_to_the_next_consumer_after_close(
    queue: Arc<dyn Queue>,
    ns: String,
) {
    let name = format!("{ns}.tasks");
    queue
        .publish(&name, messages("held", 3))
        .await
        .expect("publish");
    let mut first = queue.consume(&name, 3).await.expect("consume");
    let taken = expect_next(&mut first, "a message").await;
    let taken_payload = text(&taken);
    drop(taken); // neither acked nor requeued
    first.close().await;
    assert!(
        first.next().await.is_none(),
        "a closed consumer must yield nothing"
    );

    let mut second = queue.consume(&name, 3).await.expect("consume");
    let received = drain(&mut second, 3).await;
    assert_eq!(payloads(&received), all("held", 3));
    assert!(
        received
            .iter()
            .any(|(payload, redelivered)| *payload == taken_payload && *redelivered),
        "the message handed out before close must come back marked redelivered: {received:?}"
    );
    expect_quiet(&mut second, "every message was acked once").await;
    second.close().await;
}

pub async fn dropping_a_consumer_gives_its_messages_back(queue: Arc<dyn Queue>, ns: String) {
    let name = format!("{ns}.tasks");
    queue
        .publish(&name, messages("dropped", 2))
        .await
        .expect("publish");
    let mut first = queue.consume(&name, 2).await.expect("consume");
    drop(expect_next(&mut first, "a message").await);
    drop(first);
    let mut second = queue.consume(&name, 2).await.expect("consume");
    let received = drain(&mut second, 2).await;
    assert_eq!(payloads(&received), all("dropped", 2));
    second.close().await;
}

pub async fn prefetch_bounds_unacked_deliveries(queue: Arc<dyn Queue>, ns: String) {
    let name = format!("{ns}.tasks");
    queue
        .publish(&name, messages("bounded", 5))
        .await
        .expect("publish");
    let mut consumer = queue.consume(&name, 2).await.expect("consume");
    let a = expect_next(&mut consumer, "the first message").await;
    let b = expect_next(&mut consumer, "the second message").await;
    expect_quiet(&mut consumer, "two deliveries are unacked with prefetch 2").await;
    ack(a).await;
    let c = expect_next(&mut consumer, "a third message once a slot is free").await;
    expect_quiet(&mut consumer, "two deliveries are unacked again").await;
    let mut seen = BTreeSet::from([text(&b), text(&c)]);
    ack(b).await;
    ack(c).await;
    for (payload, _) in drain(&mut consumer, 2).await {
        seen.insert(payload);
    }
    assert_eq!(seen.len(), 4, "distinct messages after the first: {seen:?}");
    consumer.close().await;
}
