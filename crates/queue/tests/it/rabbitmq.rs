//! The behavioural suite against a real RabbitMQ (CRAWLER_TEST_AMQP_URL, default
//! amqp://127.0.0.1:5672/%2f), plus what only the RabbitMQ backend promises.

use std::sync::Arc;
use std::time::Duration;

use crawler_queue::rabbitmq::RabbitQueue;
use crawler_queue::{Queue, QueueError};
use lapin::options::QueueDeclareOptions;
use lapin::types::{AMQPValue, FieldTable};
use lapin::{Connection, ConnectionProperties};

use crate::suite;

async fn rabbit() -> Arc<dyn Queue> {
    let url = suite::amqp_url();
    match RabbitQueue::connect(&url).await {
        Ok(queue) => Arc::new(queue),
        Err(error) => {
            panic!("RabbitMQ must be running for these tests (scripts/services start): {error}")
        }
    }
}

suite_tests!(
    #[tokio::test]
    hold { crate::broker::shared().await }
    {
        rabbit().await
    }
);

/// A plain lapin connection, to look at the broker without going through the backend.
async fn raw_connection() -> Connection {
    Connection::connect(&suite::amqp_url(), ConnectionProperties::default())
        .await
        .expect("RabbitMQ must be running for these tests")
}

#[tokio::test]
async fn connecting_to_an_unreachable_broker_fails_naming_the_url_without_password() {
    // No guard: this test never reaches the shared broker.
    let started = std::time::Instant::now();
    let result = RabbitQueue::connect("amqp://crawler:hunter2@127.0.0.1:1/%2f").await;
    let Err(QueueError::Unavailable(message)) = result else {
        panic!("expected Unavailable");
    };
    assert!(
        message.contains("amqp://crawler@127.0.0.1:1/%2f"),
        "URL missing from {message:?}"
    );
    assert!(
        !message.contains("hunter2"),
        "password leaked into {message:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn delayed_messages_wait_on_the_broker_and_outlive_their_publisher() {
    let _broker = crate::broker::shared().await;
    let name = format!("{}.retries", suite::namespace());
    let publisher = rabbit().await;
    // 700 ms rounds up to the 1 s rung of the delay ladder.
    publisher
        .publish_delayed(&name, b"retry".to_vec(), Duration::from_millis(700))
        .await
        .expect("publish delayed");
    drop(publisher);

    let connection = raw_connection().await;
    let channel = connection.create_channel().await.expect("channel");
    let passive = QueueDeclareOptions {
        passive: true,
        ..QueueDeclareOptions::default()
    };
    let holding = channel
        .queue_declare(
            format!("{name}.delay.1000").into(),
            passive,
            FieldTable::default(),
        )
        .await
        .expect("the delay queue exists, named after its rung");
    assert_eq!(
        holding.message_count(),
        1,
        "the message waits in the delay queue"
    );

    let consumer_side = rabbit().await;
    let mut consumer = consumer_side.consume(&name, 1).await.expect("consume");
    let delivery = suite::expect_next(&mut consumer, "the delayed message").await;
    assert_eq!(delivery.payload, b"retry");
    delivery.ack().await.expect("ack");
    consumer.close().await;
}

#[tokio::test]
async fn a_refused_declaration_is_reported_at_once_and_spares_other_queues() {
    let _broker = crate::broker::shared().await;
    let ns = suite::namespace();
    let conflicting = format!("{ns}.conflict");
    let connection = raw_connection().await;
    let channel = connection.create_channel().await.expect("channel");
    let mut arguments = FieldTable::default();
    arguments.insert("x-max-length".into(), AMQPValue::LongLongInt(10));
    channel
        .queue_declare(
            conflicting.clone().into(),
            QueueDeclareOptions::durable(),
            arguments,
        )
        .await
        .expect("declare with other arguments");

    let queue = rabbit().await;
    let started = std::time::Instant::now();
    let result = queue.publish(&conflicting, vec![b"x".to_vec()]).await;
    assert!(
        matches!(result, Err(QueueError::Refused(_))),
        "got {result:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "a refusal must not be retried"
    );

    let fine = format!("{ns}.tasks");
    queue
        .publish(&fine, vec![b"ok".to_vec()])
        .await
        .expect("other queues still work");
    assert_eq!(queue.depth(&fine).await.expect("depth"), 1);
    assert!(queue.is_ready().await);
}

#[tokio::test]
async fn delays_beyond_the_brokers_ttl_limit_are_still_accepted() {
    let _broker = crate::broker::shared().await;
    let name = format!("{}.retries", suite::namespace());
    let queue = rabbit().await;
    let sixty_days = Duration::from_secs(60 * 86_400);
    queue
        .publish_delayed(&name, b"much later".to_vec(), sixty_days)
        .await
        .expect("a very long delay is capped, not refused");
    assert_eq!(queue.depth(&name).await.expect("depth"), 0);
}
