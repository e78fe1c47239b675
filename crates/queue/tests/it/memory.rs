//! The behavioural suite against the in-memory backend, under tokio's paused clock.

use crate::suite;

suite_tests!(
    #[tokio::test(start_paused = true)]
    {
        std::sync::Arc::new(crawler_queue::memory::MemoryQueue::new())
    }
);
