//! The `crawl.started` flag: set only once the broker confirmed the announcement, so that
//! a worker dying in between leaves it due for the redelivered seed.

use crawler_core::JobId;

use super::RedisStore;
use crate::StateError;

impl RedisStore {
    pub(super) async fn announcement_due(&self, job: JobId) -> Result<bool, StateError> {
        let keys = self.keys(job);
        let mut conn = self.conn();
        let due: i64 = self
            .run(
                self.scripts
                    .start_due
                    .key(&keys.counters)
                    .invoke_async(&mut conn),
            )
            .await?;
        Ok(due == 1)
    }

    pub(super) async fn mark_announced(&self, job: JobId) -> Result<(), StateError> {
        let keys = self.keys(job);
        let mut conn = self.conn();
        let _: i64 = self
            .run(
                self.scripts
                    .started_sent
                    .key(&keys.counters)
                    .invoke_async(&mut conn),
            )
            .await?;
        Ok(())
    }
}
