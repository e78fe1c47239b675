//! Due summaries: the mark the ending close sets in the job's counters (`summary_due`,
//! `summary_due_at`, see `scripts/close_task.lua`) and the global index of due summaries.
//!
//! The index is a sorted set of job ids scored by the millisecond their summary became
//! due. It has no hash tag of a job, so in a Redis Cluster it lives in another slot than
//! the job's keys and cannot be updated by the job's scripts: it is written by a command
//! of its own right after them. A crash in between leaves the job due but unlisted; the
//! task whose close ended the job is then still unacknowledged, and its redelivery sends
//! the summary.

use crawler_core::JobId;
use redis::AsyncCommands;

use super::RedisStore;
use crate::StateError;

impl RedisStore {
    fn due_index(&self) -> String {
        self.namespace.global_key("summaries_due")
    }

    pub(super) async fn list_due(&self, job: JobId, due_at_ms: u64) -> Result<(), StateError> {
        let mut conn = self.conn();
        let _: i64 = self
            .run(conn.zadd(self.due_index(), job.to_string(), due_at_ms))
            .await?;
        Ok(())
    }

    pub(super) async fn mark_summary_sent(&self, job: JobId, round: u32) -> Result<(), StateError> {
        let counters = self.keys(job).counters;
        let mut conn = self.conn();
        let unlist: i64 = self
            .run(
                self.scripts
                    .summary_sent
                    .key(&counters)
                    .arg(round)
                    .invoke_async(&mut conn),
            )
            .await?;
        if unlist == 1 {
            let _: i64 = self
                .run(conn.zrem(self.due_index(), job.to_string()))
                .await?;
        }
        Ok(())
    }

    pub(super) async fn read_summary_due(&self, job: JobId) -> Result<bool, StateError> {
        let counters = self.keys(job).counters;
        let mut conn = self.conn();
        let (state, due): (Option<String>, Option<String>) = self
            .run(conn.hmget(&counters, &["state", "summary_due"]))
            .await?;
        Ok(state.as_deref() == Some("ended") && due.is_some())
    }

    pub(super) async fn read_due_summaries(
        &self,
        older_than_ms: u64,
        limit: u64,
    ) -> Result<Vec<JobId>, StateError> {
        let mut conn = self.conn();
        let ids: Vec<String> = self
            .run(
                redis::cmd("ZRANGE")
                    .arg(self.due_index())
                    .arg("-inf")
                    .arg(older_than_ms)
                    .arg("BYSCORE")
                    .arg("LIMIT")
                    .arg(0)
                    .arg(limit)
                    .query_async(&mut conn),
            )
            .await?;
        ids.iter()
            .map(|id| {
                id.parse()
                    .map_err(|_| StateError::Corrupt(format!("summaries_due member {id:?}")))
            })
            .collect()
    }
}
