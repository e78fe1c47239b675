//! In-memory state store (to be implemented).
#[derive(Default)]
pub struct MemoryStore {}
impl MemoryStore {
    pub fn new() -> Self {
        MemoryStore {}
    }
}
