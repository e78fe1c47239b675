//! The conformance suite against the in-memory store, and its factory.

use crate::common;

use std::sync::Arc;

use crawler_state::memory::MemoryStore;
use crawler_state::{connect, StateBackend, StateStore};

async fn memory_store() -> Arc<dyn StateStore> {
    Arc::new(MemoryStore::new())
}

conformance_suite!(memory_store);

#[tokio::test]
async fn factory_builds_a_ready_memory_store() {
    let store = connect(&StateBackend::Memory, "test").await.unwrap();
    assert!(store.is_ready().await);
    let job = common::record("owner", None, 1, 1);
    store.create_job(&job).await.unwrap();
    assert_eq!(store.job(job.job_id).await.unwrap(), Some(job));
}
