use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::*;
use crate::memory::MemoryQueue;

const QUEUE: &str = "work";

/// Records how many messages it handles at once, and what happens to each.
struct Recorder {
    /// How long a message takes unless hurried.
    work: Duration,
    running: AtomicUsize,
    most_running: AtomicUsize,
    started: mpsc::UnboundedSender<Vec<u8>>,
    /// Payloads in the order they were acked, and those given back when hurried.
    acked: Mutex<Vec<Vec<u8>>>,
    hurried: Mutex<Vec<Vec<u8>>>,
}

impl Recorder {
    fn new(work: Duration) -> (Arc<Recorder>, mpsc::UnboundedReceiver<Vec<u8>>) {
        let (started, starts) = mpsc::unbounded_channel();
        let recorder = Recorder {
            work,
            running: AtomicUsize::new(0),
            most_running: AtomicUsize::new(0),
            started,
            acked: Mutex::new(Vec::new()),
            hurried: Mutex::new(Vec::new()),
        };
        (Arc::new(recorder), starts)
    }

    fn acked(&self) -> Vec<Vec<u8>> {
        self.acked.lock().unwrap().clone()
    }

    fn hurried(&self) -> Vec<Vec<u8>> {
        self.hurried.lock().unwrap().clone()
    }
}

#[async_trait]
impl MessageHandler for Recorder {
    async fn handle(&self, message: ReceivedMessage, hurry: CancellationToken) {
        let running = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_running.fetch_max(running, Ordering::SeqCst);
        let payload = message.payload.clone();
        let _ = self.started.send(payload.clone());
        tokio::select! {
            () = tokio::time::sleep(self.work) => {
                message.ack().await.unwrap();
                self.acked.lock().unwrap().push(payload);
            }
            () = hurry.cancelled() => {
                message.requeue().await.unwrap();
                self.hurried.lock().unwrap().push(payload);
            }
        }
        self.running.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn publish(queue: &MemoryQueue, payloads: &[&str]) {
    let messages = payloads.iter().map(|p| p.as_bytes().to_vec()).collect();
    queue.publish(QUEUE, messages).await.unwrap();
}

/// Starts a loop over a fresh consumer; completing the sender shuts it down.
async fn start(
    queue: &MemoryQueue,
    handler: Arc<Recorder>,
    limits: Limits,
    prefetch: u16,
) -> (oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
    let consumer = queue.consume(QUEUE, prefetch).await.unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let shutdown = async {
        let _ = stopped.await;
    };
    let running = tokio::spawn(run("test", consumer, handler, limits, shutdown));
    (stop, running)
}

#[tokio::test(start_paused = true)]
async fn no_more_messages_run_at_once_than_the_concurrency_allows() {
    let queue = MemoryQueue::new();
    let names: Vec<String> = (0..10).map(|i| format!("m{i}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    publish(&queue, &names).await;
    let (handler, mut starts) = Recorder::new(Duration::from_millis(100));
    let limits = Limits {
        concurrency: 3,
        grace: Duration::from_secs(5),
    };
    // A prefetch larger than the concurrency: the permits alone must keep the bound.
    let (stop, running) = start(&queue, handler.clone(), limits, 10).await;
    for _ in 0..10 {
        starts.recv().await.unwrap();
    }
    // Let the last ones finish.
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.send(()).unwrap();
    running.await.unwrap();

    assert_eq!(handler.most_running.load(Ordering::SeqCst), 3);
    assert_eq!(handler.acked().len(), 10);
    assert!(handler.hurried().is_empty());
    assert_eq!(queue.depth(QUEUE).await.unwrap(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_handler_that_finishes_within_the_grace_is_not_hurried() {
    let queue = MemoryQueue::new();
    publish(&queue, &["quick enough"]).await;
    let (handler, mut starts) = Recorder::new(Duration::from_secs(2));
    let limits = Limits {
        concurrency: 1,
        grace: Duration::from_secs(5),
    };
    let (stop, running) = start(&queue, handler.clone(), limits, 1).await;
    starts.recv().await.unwrap();
    let shutdown_at = Instant::now();
    stop.send(()).unwrap();
    running.await.unwrap();

    assert_eq!(shutdown_at.elapsed(), Duration::from_secs(2));
    assert_eq!(handler.acked(), vec![b"quick enough".to_vec()]);
    assert!(handler.hurried().is_empty());
    assert_eq!(queue.depth(QUEUE).await.unwrap(), 0);
}

#[tokio::test(start_paused = true)]
async fn on_shutdown_a_slow_handler_is_hurried_after_the_grace_and_its_message_redelivered() {
    let queue = MemoryQueue::new();
    publish(&queue, &["slow", "not started"]).await;
    let (handler, mut starts) = Recorder::new(Duration::from_secs(3600));
    let grace = Duration::from_secs(5);
    let limits = Limits {
        concurrency: 1,
        grace,
    };
    // The prefetch would allow both messages out; the single permit keeps the second one
    // in the queue.
    let (stop, running) = start(&queue, handler.clone(), limits, 2).await;
    assert_eq!(starts.recv().await.unwrap(), b"slow");
    let shutdown_at = Instant::now();
    stop.send(()).unwrap();

    // Still waiting out the grace just before it ends.
    tokio::time::sleep(grace - Duration::from_millis(1)).await;
    assert!(!running.is_finished());
    assert!(handler.hurried().is_empty());
    running.await.unwrap();

    assert_eq!(shutdown_at.elapsed(), grace);
    assert_eq!(handler.hurried(), vec![b"slow".to_vec()]);
    assert!(handler.acked().is_empty());
    assert!(starts.try_recv().is_err(), "the second message was started");
    assert_eq!(queue.depth(QUEUE).await.unwrap(), 2);

    // A new consumer gets the interrupted message again, then the one never started.
    let mut consumer = queue.consume(QUEUE, 2).await.unwrap();
    let again = consumer.next().await.unwrap();
    assert_eq!(again.payload, b"slow");
    assert!(again.redelivered);
    let untouched = consumer.next().await.unwrap();
    assert_eq!(untouched.payload, b"not started");
    assert!(!untouched.redelivered);
}

#[tokio::test(start_paused = true)]
async fn a_panicking_handler_does_not_stop_the_loop() {
    struct Flaky {
        handled: mpsc::UnboundedSender<Vec<u8>>,
    }

    #[async_trait]
    impl MessageHandler for Flaky {
        async fn handle(&self, message: ReceivedMessage, _hurry: CancellationToken) {
            assert_ne!(message.payload, b"bad", "a handler bug");
            let payload = message.payload.clone();
            message.ack().await.unwrap();
            let _ = self.handled.send(payload);
        }
    }

    let queue = MemoryQueue::new();
    publish(&queue, &["bad", "good", "later"]).await;
    let (handled, mut handled_rx) = mpsc::unbounded_channel();
    let consumer = queue.consume(QUEUE, 2).await.unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let limits = Limits {
        concurrency: 2,
        grace: Duration::from_secs(1),
    };
    let shutdown = async {
        let _ = stopped.await;
    };
    let handler = Arc::new(Flaky { handled });
    let running = tokio::spawn(run("test", consumer, handler, limits, shutdown));
    assert_eq!(handled_rx.recv().await.unwrap(), b"good");
    assert_eq!(handled_rx.recv().await.unwrap(), b"later");
    stop.send(()).unwrap();
    running.await.unwrap();
    // The message whose handler panicked was never settled: it is back in the queue now
    // that its consumer is gone.
    assert_eq!(queue.depth(QUEUE).await.unwrap(), 1);
    let mut consumer = queue.consume(QUEUE, 1).await.unwrap();
    let again = consumer.next().await.unwrap();
    assert_eq!(again.payload, b"bad");
    assert!(again.redelivered);
}

#[tokio::test(start_paused = true)]
async fn start_consuming_gives_up_waiting_on_shutdown() {
    struct Unreachable;

    #[async_trait]
    impl Queue for Unreachable {
        async fn publish(&self, _: &str, _: Vec<Vec<u8>>) -> Result<(), QueueError> {
            Err(QueueError::Unavailable("down".into()))
        }
        async fn publish_delayed(
            &self,
            _: &str,
            _: Vec<u8>,
            _: Duration,
        ) -> Result<(), QueueError> {
            Err(QueueError::Unavailable("down".into()))
        }
        async fn consume(&self, _: &str, _: u16) -> Result<Box<dyn Consumer>, QueueError> {
            Err(QueueError::Unavailable("down".into()))
        }
        async fn depth(&self, _: &str) -> Result<u64, QueueError> {
            Err(QueueError::Unavailable("down".into()))
        }
        async fn is_ready(&self) -> bool {
            false
        }
    }

    let shutdown = tokio::time::sleep(Duration::from_secs(30));
    tokio::pin!(shutdown);
    let started = Instant::now();
    let consumer = start_consuming(&Unreachable, QUEUE, 1, &mut shutdown)
        .await
        .unwrap();
    assert!(consumer.is_none());
    assert_eq!(started.elapsed(), Duration::from_secs(30));
}

#[tokio::test(start_paused = true)]
async fn start_consuming_returns_a_refusal_at_once() {
    struct Refusing;

    #[async_trait]
    impl Queue for Refusing {
        async fn publish(&self, _: &str, _: Vec<Vec<u8>>) -> Result<(), QueueError> {
            Ok(())
        }
        async fn publish_delayed(
            &self,
            _: &str,
            _: Vec<u8>,
            _: Duration,
        ) -> Result<(), QueueError> {
            Ok(())
        }
        async fn consume(&self, _: &str, _: u16) -> Result<Box<dyn Consumer>, QueueError> {
            Err(QueueError::Refused("bad arguments".into()))
        }
        async fn depth(&self, _: &str) -> Result<u64, QueueError> {
            Ok(0)
        }
        async fn is_ready(&self) -> bool {
            true
        }
    }

    let mut shutdown = std::future::pending::<()>();
    let started = Instant::now();
    let result = start_consuming(&Refusing, QUEUE, 1, &mut shutdown).await;
    assert!(matches!(result, Err(QueueError::Refused(_))));
    assert_eq!(started.elapsed(), Duration::ZERO);
}
