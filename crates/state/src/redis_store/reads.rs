//! Reads that need one consistent view of several keys, taken with `MULTI`/`EXEC` so no
//! script runs half-way through them.

use std::collections::HashMap;

use crawler_core::{FetchTask, JobId, JobRecord, JobStatus, StopReason, SummaryEvent};
use redis::AsyncCommands;

use super::decode::{self, json};
use super::keys::owner_index;
use super::RedisStore;
use crate::snapshot::{build_status, build_summary, StoredOutcome};
use crate::{JobControl, JobPage, StateError};

impl RedisStore {
    pub(super) async fn read_status(&self, job: JobId) -> Result<Option<JobStatus>, StateError> {
        let keys = self.keys(job);
        let mut conn = self.conn();
        let mut pipe = redis::pipe();
        pipe.atomic()
            .get(&keys.record)
            .hgetall(&keys.counters)
            .llen(&keys.overflow);
        let (record, counters, overflow_len): (Option<String>, HashMap<String, String>, u64) =
            self.run(pipe.query_async(&mut conn)).await?;
        let (Some(record), Some(counters)) = (record, decode::counters(&counters)?) else {
            return Ok(None);
        };
        let record: JobRecord = json("job record", &record)?;
        Ok(Some(build_status(&record, &counters, overflow_len)))
    }

    pub(super) async fn read_list_jobs(
        &self,
        owner: &str,
        offset: u64,
        limit: u64,
    ) -> Result<JobPage, StateError> {
        let index = owner_index(&self.namespace, owner);
        let mut conn = self.conn();
        let total: u64 = self.run(conn.zcard(&index)).await?;
        if limit == 0 || offset >= total {
            return Ok(JobPage {
                jobs: Vec::new(),
                total,
            });
        }
        let start = isize::try_from(offset).unwrap_or(isize::MAX);
        let stop = isize::try_from(offset.saturating_add(limit - 1)).unwrap_or(isize::MAX);
        let ids: Vec<String> = self.run(conn.zrevrange(&index, start, stop)).await?;
        let mut jobs = Vec::with_capacity(ids.len());
        for id in ids {
            let job: JobId = id
                .parse()
                .map_err(|_| StateError::Corrupt(format!("job id {id:?} in {index}")))?;
            match self.read_status(job).await? {
                Some(status) => jobs.push(status),
                // The job's keys expired after its retention time: forget it here too.
                None => {
                    let _: Result<i64, _> = self.run(conn.zrem(&index, job.to_string())).await;
                }
            }
        }
        Ok(JobPage { jobs, total })
    }

    pub(super) async fn read_control(&self, job: JobId) -> Result<JobControl, StateError> {
        let key = self.keys(job).counters;
        let mut conn = self.conn();
        let (state, stop_reason): (Option<String>, Option<String>) = self
            .run(conn.hmget(&key, &["state", "stop_reason"]))
            .await?;
        Ok(match (state.as_deref(), stop_reason) {
            (None, _) => JobControl::Missing,
            (Some("ended"), _) => JobControl::Ended,
            (Some(_), None) => JobControl::Running,
            (Some(_), Some(raw)) => JobControl::Stopping(
                StopReason::parse(&raw)
                    .ok_or_else(|| StateError::Corrupt(format!("stop_reason = {raw:?}")))?,
            ),
        })
    }

    pub(super) async fn read_summary(&self, job: JobId) -> Result<SummaryEvent, StateError> {
        let keys = self.keys(job);
        let mut conn = self.conn();
        let mut pipe = redis::pipe();
        pipe.atomic()
            .get(&keys.record)
            .hgetall(&keys.counters)
            .lrange(&keys.overflow, 0, -1)
            .lrange(&keys.outcome_order, 0, -1)
            .hgetall(&keys.outcomes);
        type Reply = (
            Option<String>,
            HashMap<String, String>,
            Vec<String>,
            Vec<String>,
            HashMap<String, String>,
        );
        let (record, counters, overflow, order, outcomes): Reply =
            self.run(pipe.query_async(&mut conn)).await?;
        let (Some(record), Some(counters)) = (record, decode::counters(&counters)?) else {
            return Err(StateError::NoSuchJob);
        };
        let record: JobRecord = json("job record", &record)?;
        let overflow_urls = overflow
            .iter()
            .map(|raw| json::<FetchTask>("overflow task", raw).map(|task| task.url))
            .collect::<Result<Vec<_>, _>>()?;
        let mut stored = Vec::with_capacity(order.len());
        for url in order {
            let Some(raw) = outcomes.get(&url) else {
                continue;
            };
            stored.push((url, json::<StoredOutcome>("page outcome", raw)?));
        }
        let outcomes = stored.iter().map(|(url, outcome)| (url.as_str(), outcome));
        Ok(build_summary(&record, &counters, outcomes, overflow_urls))
    }
}
