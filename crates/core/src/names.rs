//! Names of queues and Redis keys.
//!
//! Every name carries the configured namespace so that two deployments, tenants or test
//! runs sharing one broker and one Redis never see each other's messages. Redis keys of a
//! job share a `{...}` hash tag so that a Lua script touching several of them runs on one
//! Redis Cluster slot.

use crate::JobId;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Namespace(String);

impl Namespace {
    pub fn new(name: impl Into<String>) -> Self {
        Namespace(name.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The queue fetch tasks travel through.
    pub fn fetch_queue(&self) -> String {
        format!("{}.fetch", self.0)
    }

    /// The queue page events and summaries travel through on their way to webhooks.
    pub fn events_queue(&self) -> String {
        format!("{}.events", self.0)
    }

    /// Prefix of every per-job Redis key; the hash tag keeps a job's keys in one slot.
    pub fn job_key(&self, job: &JobId, suffix: &str) -> String {
        format!("{}:job:{{{}}}:{}", self.0, job, suffix)
    }

    /// A key that is not tied to one job.
    pub fn global_key(&self, suffix: &str) -> String {
        format!("{}:{}", self.0, suffix)
    }
}
