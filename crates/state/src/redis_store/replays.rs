//! What a redelivered task replays (`TaskReplays`): the hash fields `admit`,
//! `record_outcome` and `put_result` already write under the URL, read in one round trip.

use async_trait::async_trait;
use crawler_core::{FetchTask, JobId, PageResult};

use super::decode::json;
use super::RedisStore;
use crate::snapshot::StoredOutcome;
use crate::{RecordedEffects, StateError, TaskReplays};

#[async_trait]
impl TaskReplays for RedisStore {
    async fn recorded_effects(&self, job: JobId, url: &str) -> Result<RecordedEffects, StateError> {
        let keys = self.keys(job);
        let mut conn = self.conn();
        // MULTI/EXEC: no script runs between the reads, so an outcome read here always has
        // the result `put_result` stored before it.
        let mut pipe = redis::pipe();
        pipe.atomic()
            .hget(&keys.admissions, url)
            .hget(&keys.outcomes, url)
            .hget(&keys.results, url);
        let (admitted, outcome, result): (Option<String>, Option<String>, Option<String>) =
            self.run(pipe.query_async(&mut conn)).await?;
        Ok(RecordedEffects {
            admitted: admitted
                .map(|raw| json::<Vec<FetchTask>>("admitted tasks", &raw))
                .transpose()?,
            outcome: outcome
                .map(|raw| json::<StoredOutcome>("page outcome", &raw).map(Into::into))
                .transpose()?,
            result: result
                .map(|raw| json::<PageResult>("page result", &raw))
                .transpose()?,
        })
    }
}
