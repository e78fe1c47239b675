//! The suite against the in-memory store, and its factory.

use std::sync::Arc;

use crawler_scheduler::store::memory::MemoryStore;
use crawler_scheduler::{connect, ScheduleBackend, ScheduleStore};

use crate::common::{schedule, Stores, T0};

/// One store seen through two handles, as the embedded mode's loops would share it.
async fn memory_stores() -> Stores {
    let store: Arc<dyn ScheduleStore> = Arc::new(MemoryStore::new());
    Stores {
        a: store.clone(),
        b: store,
    }
}

backend_suite!(memory_stores);

#[tokio::test]
async fn factory_builds_a_ready_memory_store() {
    let store = connect(&ScheduleBackend::Memory, "test").await.unwrap();
    assert!(store.is_ready().await);
    let s = schedule("owner", 60_000, T0);
    store.put(&s).await.unwrap();
    assert_eq!(store.get(s.id).await.unwrap(), Some(s));
}
