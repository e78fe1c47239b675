//! The Redis schedule store of the distributed roles.
//!
//! Every key carries the hash tag `{<namespace>:schedules}`, so they all live in one Redis
//! Cluster slot and one Lua script (`scripts/`) may touch any of them: a schedule, its
//! index entries and its run log change together or not at all. The tag names the
//! namespace so that tenants' schedules spread over slots instead of sharing one.
//!
//! The keys, under that tag:
//! - `record:<id>`: a hash with the schedule's JSON and the fields scripts read or move
//!   (`owner`, `enabled`, `next_run_ms`); see `scripts/put.lua`.
//! - `due`: a sorted set of the ids of enabled schedules with a next time, scored by it.
//! - `owners`: a sorted set of `<owner>\0<id>`, read by lexical range for one owner.
//! - `runs:<id>`: a list of run JSONs, newest first, capped.
//! - `lease`: the tick loop's lease, the holder's name with a TTL.
//!
//! Connections come from [`crawler_state::redis_conn`], so every call is bounded by a
//! timeout and a silent Redis fails fast as [`ScheduleError::Unavailable`].

use std::future::Future;
use std::time::Duration;

use async_trait::async_trait;
use crawler_core::Namespace;
use crawler_state::redis_conn;
use redis::aio::ConnectionManager;
use redis::RedisResult;

mod codec;
mod keys;

use super::{sort_oldest_first, ScheduleStore, RUN_LOG_CAP};
use crate::schedule::{Run, Schedule, ScheduleId};
use crate::ScheduleError;
use codec::{decode_record, ids_of, json, map_error, time_arg, to_json, ttl_ms, RecordFields};
use keys::{Keys, Scripts};

pub use crawler_state::redis_conn::DEFAULT_RESPONSE_TIMEOUT;

pub struct RedisStore {
    connection: ConnectionManager,
    keys: Keys,
    scripts: Scripts,
    timeout: Duration,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.keys.prefix)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// Connects with [`DEFAULT_RESPONSE_TIMEOUT`].
    pub async fn connect(url: &str, namespace: &str) -> Result<Self, ScheduleError> {
        Self::connect_with_timeout(url, namespace, DEFAULT_RESPONSE_TIMEOUT).await
    }

    /// Connects, failing with [`ScheduleError::Unavailable`] when Redis does not answer
    /// within `timeout`; every later call is bounded by the same timeout.
    pub async fn connect_with_timeout(
        url: &str,
        namespace: &str,
        timeout: Duration,
    ) -> Result<Self, ScheduleError> {
        let connection = redis_conn::connect(url, timeout)
            .await
            .map_err(|err| match err {
                redis_conn::ConnectError::InvalidUrl(m) => ScheduleError::Backend(m),
                redis_conn::ConnectError::Unavailable(m) => ScheduleError::Unavailable(m),
            })?;
        Ok(RedisStore {
            connection,
            keys: Keys::new(&Namespace::new(namespace)),
            scripts: Scripts::new(),
            timeout,
        })
    }

    /// A handle on the shared multiplexed connection; cloning it is cheap.
    fn conn(&self) -> ConnectionManager {
        self.connection.clone()
    }

    async fn run<T>(
        &self,
        request: impl Future<Output = RedisResult<T>>,
    ) -> Result<T, ScheduleError> {
        redis_conn::bounded(self.timeout, request)
            .await
            .map_err(map_error)
    }

    /// Runs `put.lua`: unconditionally, or as a replace expecting `next_run_ms`.
    async fn write(
        &self,
        schedule: &Schedule,
        replace: Option<Option<u64>>,
    ) -> Result<bool, ScheduleError> {
        let id = schedule.id.to_string();
        let enabled = if schedule.enabled { "1" } else { "0" };
        let mut invocation = self.scripts.put.prepare_invoke();
        invocation
            .key(self.keys.record(schedule.id))
            .key(&self.keys.due)
            .key(&self.keys.owners)
            .arg(&id)
            .arg(to_json(schedule)?)
            .arg(&schedule.owner)
            .arg(enabled)
            .arg(time_arg(schedule.next_run_ms))
            .arg(if replace.is_some() { "1" } else { "0" })
            .arg(time_arg(replace.flatten()));
        let mut conn = self.conn();
        let written: i64 = self.run(invocation.invoke_async(&mut conn)).await?;
        Ok(written == 1)
    }

    /// The schedules with these ids, in order, leaving out any deleted since they were
    /// listed.
    async fn read_many(&self, ids: &[ScheduleId]) -> Result<Vec<Schedule>, ScheduleError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for id in ids {
            pipe.cmd("HMGET")
                .arg(self.keys.record(*id))
                .arg("schedule")
                .arg("next_run_ms");
        }
        let mut conn = self.conn();
        let rows: Vec<RecordFields> = self.run(pipe.query_async(&mut conn)).await?;
        let mut schedules = Vec::with_capacity(rows.len());
        for row in rows {
            if let Some(schedule) = decode_record(row)? {
                schedules.push(schedule);
            }
        }
        Ok(schedules)
    }
}

#[async_trait]
impl ScheduleStore for RedisStore {
    async fn put(&self, schedule: &Schedule) -> Result<(), ScheduleError> {
        self.write(schedule, None).await.map(|_| ())
    }

    async fn replace(
        &self,
        schedule: &Schedule,
        expected_next_run_ms: Option<u64>,
    ) -> Result<bool, ScheduleError> {
        self.write(schedule, Some(expected_next_run_ms)).await
    }

    async fn get(&self, id: ScheduleId) -> Result<Option<Schedule>, ScheduleError> {
        let mut conn = self.conn();
        let fields: RecordFields = self
            .run(
                redis::cmd("HMGET")
                    .arg(self.keys.record(id))
                    .arg("schedule")
                    .arg("next_run_ms")
                    .query_async(&mut conn),
            )
            .await?;
        decode_record(fields)
    }

    async fn list(&self, owner: &str) -> Result<Vec<Schedule>, ScheduleError> {
        let mut conn = self.conn();
        let members: Vec<String> = self
            .run(
                redis::cmd("ZRANGEBYLEX")
                    .arg(&self.keys.owners)
                    .arg(format!("[{owner}\0"))
                    .arg(format!("({owner}\u{1}"))
                    .query_async(&mut conn),
            )
            .await?;
        let mut schedules = self.read_many(&ids_of(&members)?).await?;
        // The range also holds owners whose name continues past a NUL; keep this one's.
        schedules.retain(|schedule| schedule.owner == owner);
        sort_oldest_first(&mut schedules);
        Ok(schedules)
    }

    async fn delete(&self, id: ScheduleId) -> Result<bool, ScheduleError> {
        let mut invocation = self.scripts.delete.prepare_invoke();
        invocation
            .key(self.keys.record(id))
            .key(&self.keys.due)
            .key(&self.keys.owners)
            .key(self.keys.runs(id))
            .arg(id.to_string());
        let mut conn = self.conn();
        let deleted: i64 = self.run(invocation.invoke_async(&mut conn)).await?;
        Ok(deleted == 1)
    }

    async fn due(&self, now_ms: u64, limit: usize) -> Result<Vec<Schedule>, ScheduleError> {
        let mut conn = self.conn();
        let members: Vec<String> = self
            .run(
                redis::cmd("ZRANGEBYSCORE")
                    .arg(&self.keys.due)
                    .arg("-inf")
                    .arg(now_ms)
                    .arg("LIMIT")
                    .arg(0)
                    .arg(limit)
                    .query_async(&mut conn),
            )
            .await?;
        let mut schedules = self.read_many(&ids_of(&members)?).await?;
        // A schedule put again between the range and the reads may no longer be due.
        schedules.retain(|s| s.is_indexed() && s.next_run_ms.is_some_and(|next| next <= now_ms));
        Ok(schedules)
    }

    async fn claim_run(
        &self,
        id: ScheduleId,
        due_at_ms: u64,
        next_run_ms: Option<u64>,
    ) -> Result<bool, ScheduleError> {
        let mut invocation = self.scripts.claim_run.prepare_invoke();
        invocation
            .key(self.keys.record(id))
            .key(&self.keys.due)
            .arg(id.to_string())
            .arg(due_at_ms.to_string())
            .arg(time_arg(next_run_ms));
        let mut conn = self.conn();
        let claimed: i64 = self.run(invocation.invoke_async(&mut conn)).await?;
        Ok(claimed == 1)
    }

    async fn record_run(&self, id: ScheduleId, run: &Run) -> Result<(), ScheduleError> {
        let mut invocation = self.scripts.record_run.prepare_invoke();
        invocation
            .key(self.keys.record(id))
            .key(self.keys.runs(id))
            .arg(to_json(run)?)
            .arg(RUN_LOG_CAP);
        let mut conn = self.conn();
        let _recorded: i64 = self.run(invocation.invoke_async(&mut conn)).await?;
        Ok(())
    }

    async fn runs(&self, id: ScheduleId) -> Result<Vec<Run>, ScheduleError> {
        let mut conn = self.conn();
        let raw: Vec<String> = self
            .run(
                redis::cmd("LRANGE")
                    .arg(self.keys.runs(id))
                    .arg(0)
                    .arg(-1)
                    .query_async(&mut conn),
            )
            .await?;
        raw.iter().map(|run| json("run", run)).collect()
    }

    async fn acquire_lease(&self, holder: &str, ttl: Duration) -> Result<bool, ScheduleError> {
        let ttl = ttl_ms(ttl);
        let mut conn = self.conn();
        let set: Option<String> = self
            .run(
                redis::cmd("SET")
                    .arg(&self.keys.lease)
                    .arg(holder)
                    .arg("NX")
                    .arg("PX")
                    .arg(ttl)
                    .query_async(&mut conn),
            )
            .await?;
        if set.is_some() {
            return Ok(true);
        }
        let mut invocation = self.scripts.renew_lease.prepare_invoke();
        invocation.key(&self.keys.lease).arg(holder).arg(ttl);
        let renewed: i64 = self.run(invocation.invoke_async(&mut conn)).await?;
        Ok(renewed == 1)
    }

    async fn release_lease(&self, holder: &str) -> Result<(), ScheduleError> {
        let mut invocation = self.scripts.release_lease.prepare_invoke();
        invocation.key(&self.keys.lease).arg(holder);
        let mut conn = self.conn();
        let _released: i64 = self.run(invocation.invoke_async(&mut conn)).await?;
        Ok(())
    }

    async fn is_ready(&self) -> bool {
        let mut conn = self.conn();
        let pong: Result<String, ScheduleError> =
            self.run(redis::cmd("PING").query_async(&mut conn)).await;
        pong.is_ok()
    }
}
