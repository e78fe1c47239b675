//! Page results, continuations and purges in Redis (`JobData`).

use async_trait::async_trait;
use crawler_core::{FetchTask, JobId, JobRecord, PageResult};
use redis::AsyncCommands;

use super::decode::{json, to_json};
use super::keys::owner_index;
use super::RedisStore;
use crate::{JobData, ResultsPage, StateError};

#[async_trait]
impl JobData for RedisStore {
    async fn put_result(&self, job: JobId, result: &PageResult) -> Result<(), StateError> {
        let key = self.keys(job).results;
        let mut conn = self.conn();
        let _: i64 = self
            .run(conn.hset(&key, &result.url, to_json(result)?))
            .await?;
        Ok(())
    }

    async fn results(
        &self,
        job: JobId,
        offset: u64,
        limit: u64,
    ) -> Result<ResultsPage, StateError> {
        let keys = self.keys(job);
        let mut conn = self.conn();
        if limit == 0 {
            return Ok(ResultsPage {
                results: Vec::new(),
                next: Some(offset),
            });
        }
        let start = isize::try_from(offset).unwrap_or(isize::MAX);
        let stop = isize::try_from(offset.saturating_add(limit - 1)).unwrap_or(isize::MAX);
        let urls: Vec<String> = self
            .run(conn.lrange(&keys.outcome_order, start, stop))
            .await?;
        if urls.is_empty() {
            return Ok(ResultsPage {
                results: Vec::new(),
                next: None,
            });
        }
        let raw: Vec<Option<String>> = self
            .run(
                redis::cmd("HMGET")
                    .arg(&keys.results)
                    .arg(&urls)
                    .query_async(&mut conn),
            )
            .await?;
        // Cancelled pages have an outcome but no result.
        let results = raw
            .iter()
            .flatten()
            .map(|r| json("page result", r))
            .collect::<Result<Vec<PageResult>, _>>()?;
        let next = (urls.len() as u64 == limit).then(|| offset + limit);
        Ok(ResultsPage { results, next })
    }

    async fn reopen(&self, job: JobId, tasks: &[FetchTask]) -> Result<Vec<FetchTask>, StateError> {
        let keys = self.keys(job);
        let mut invocation = self.scripts.reopen.prepare_invoke();
        for key in [
            &keys.counters,
            &keys.closed,
            &keys.frontier,
            &keys.host_index,
            &keys.outcomes,
            &keys.outcome_order,
            &keys.admissions,
            &keys.record,
            &keys.seen,
            &keys.overflow,
            &keys.seeds,
            &keys.redirects,
            &keys.results,
        ] {
            invocation.key(key);
        }
        for task in tasks {
            invocation.arg(&task.url).arg(to_json(task)?);
        }
        let mut conn = self.conn();
        let reopened: String = self.run(invocation.invoke_async(&mut conn)).await?;
        json("reopened tasks", &reopened)
    }

    async fn purge(&self, job: JobId) -> Result<bool, StateError> {
        let keys = self.keys(job);
        let mut invocation = self.scripts.purge.prepare_invoke();
        invocation.key(&keys.record).key(&keys.host_index);
        for key in keys.all() {
            invocation.key(key);
        }
        let mut conn = self.conn();
        let record: Option<String> = self.run(invocation.invoke_async(&mut conn)).await?;
        let Some(record) = record else {
            return Ok(false);
        };
        let record: JobRecord = json("job record", &record)?;
        let index = owner_index(&self.namespace, &record.owner);
        let _: i64 = self.run(conn.zrem(&index, job.to_string())).await?;
        Ok(true)
    }
}
