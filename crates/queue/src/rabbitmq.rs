//! RabbitMQ queue (to be implemented).
use std::time::Duration;

use async_trait::async_trait;

use crate::{Consumer, Queue, QueueError};

#[derive(Default)]
pub struct RabbitQueue {}

impl RabbitQueue {
    pub fn new() -> Self {
        RabbitQueue {}
    }
}

#[async_trait]
impl Queue for RabbitQueue {
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
impl RabbitQueue {
    pub async fn connect(_url: &str) -> Result<Self, QueueError> {
        todo!()
    }
}
