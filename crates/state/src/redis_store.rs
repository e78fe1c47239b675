//! Redis state store (to be implemented).
use crate::StateError;
pub struct RedisStore {}
impl RedisStore {
    pub async fn connect(_url: &str, _namespace: &str) -> Result<Self, StateError> {
        todo!()
    }
}
