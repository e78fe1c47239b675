//! In-memory queue (to be implemented).
use std::time::Duration;

use async_trait::async_trait;

use crate::{Consumer, Queue, QueueError};

#[derive(Default)]
pub struct MemoryQueue {}

impl MemoryQueue {
    pub fn new() -> Self {
        MemoryQueue {}
    }
}

#[async_trait]
impl Queue for MemoryQueue {
    async fn publish(&self, _queue: &str, _messages: Vec<Vec<u8>>) -> Result<(), QueueError> {
        todo!()
    }
    async fn publish_delayed(&self, _queue: &str, _message: Vec<u8>, _delay: Duration) -> Result<(), QueueError> {
        todo!()
    }
    async fn consume(&self, _queue: &str, _prefetch: u16) -> Result<Box<dyn Consumer>, QueueError> {
        todo!()
    }
    async fn depth(&self, _queue: &str) -> Result<u64, QueueError> {
        todo!()
    }
    async fn is_ready(&self) -> bool {
        true
    }
}
