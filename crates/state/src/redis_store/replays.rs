//! What a redelivered task replays (`TaskReplays`): what `admit`, `record_outcome` and
//! `put_result` already wrote under the URL, read by one script in one round trip.

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
        type Reply = (String, String, String, Vec<i64>, Vec<i64>);
        let (admitted, outcome, result, admitted_closed, promoted_closed): Reply = self
            .run(
                self.scripts
                    .recorded_effects
                    .key(&keys.admissions)
                    .key(&keys.outcomes)
                    .key(&keys.results)
                    .key(&keys.closed)
                    .arg(url)
                    .invoke_async(&mut conn),
            )
            .await?;
        let admitted: Vec<FetchTask> = match admitted.as_str() {
            "" => Vec::new(),
            raw => json("admitted tasks", raw)?,
        };
        let stored: Option<StoredOutcome> = match outcome.as_str() {
            "" => None,
            raw => Some(json("page outcome", raw)?),
        };
        let promoted = stored.iter().flat_map(|stored| stored.promoted.iter());
        let open_tasks = open(admitted.iter(), &admitted_closed)
            .chain(open(promoted, &promoted_closed))
            .cloned()
            .collect();
        let result: Option<PageResult> = match result.as_str() {
            "" => None,
            raw => Some(json("page result", raw)?),
        };
        Ok(RecordedEffects {
            open_tasks,
            outcome: stored.as_ref().map(StoredOutcome::recorded),
            result,
        })
    }
}

/// The tasks whose flag says their task is not closed.
fn open<'a>(
    tasks: impl Iterator<Item = &'a FetchTask>,
    closed: &'a [i64],
) -> impl Iterator<Item = &'a FetchTask> {
    tasks
        .zip(closed)
        .filter(|(_, closed)| **closed == 0)
        .map(|(task, _)| task)
}
