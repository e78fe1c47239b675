//! The Redis delivery store.
//!
//! Per-job records live under the job's hash-tagged prefix (`Namespace::job_key`), so a
//! script touching several of them runs on one Redis Cluster slot, and expire
//! [`RECORD_RETENTION`] after their last write so finished jobs do not accumulate forever.
//! Endpoint health is global: three hashes (failures, disabled, last attempt) sharing one
//! hash tag, keyed by [`EndpointKey`] (tenant and endpoint), never by URL alone; see
//! `redis/health.rs`.
//!
//! | key                               | type   | holds                                  |
//! |-----------------------------------|--------|----------------------------------------|
//! | `job:{id}:wh:attempts:<event id>` | list   | JSON [`Attempt`]s, oldest first         |
//! | `job:{id}:wh:delivered`           | set    | event ids delivered                     |
//! | `job:{id}:wh:settled`             | set    | page event ids settled                  |
//! | `job:{id}:wh:log`, `wh:log_seq`   | zset   | the job's delivery log (`redis_log`)    |
//! | `job:{id}:wh:event:<event id>`    | string | JSON envelope kept for redelivery       |
//! | `job:{id}:wh:dead`                | hash   | event id to JSON [`DeadLetter`]         |
//! | `job:{id}:wh:body:<url digest>`   | string | JSON [`StoredBody`], with its own TTL   |
//! | `wh:{endpoints}:failures`         | hash   | endpoint key to consecutive failures    |
//! | `wh:{endpoints}:disabled`         | hash   | endpoint key to when it was disabled    |
//! | `wh:eplog:{<key digest>}:log`     | zset   | an endpoint's delivery log, capped      |
//! | `wh:{endpoints}:last`             | hash   | endpoint key to its latest JSON attempt |

use std::time::Duration;

use async_trait::async_trait;
use crawler_core::{JobId, Namespace};
use crawler_state::redis_conn;
use redis::aio::ConnectionManager;
use redis::{AsyncCommands, Script};

use crate::endpoints::EndpointKey;
use crate::redis_scripts::{APPEND_LOG, ENDPOINT_FAILURE, REMOVE_DEAD};
use crate::{
    Attempt, AttemptLog, BodyStore, DeadLetter, DeadLetterStore, DeliveryStore, SettledLog,
    StoreError, StoredBody,
};

mod health;

/// How long per-job delivery records outlive their last write. Longer than the default
/// retry schedule (about 26 hours) with room for a user to look at dead letters and
/// replay them.
pub(crate) const RECORD_RETENTION: Duration = Duration::from_secs(30 * 86_400);

pub struct RedisDeliveryStore {
    pub(crate) connection: ConnectionManager,
    namespace: Namespace,
    pub(crate) append_log: Script,
    endpoint_failure: Script,
    remove_dead: Script,
}

pub(crate) fn map_err(err: redis::RedisError) -> StoreError {
    if redis_conn::is_transient(&err) {
        StoreError::Unavailable(err.to_string())
    } else {
        StoreError::Backend(err.to_string())
    }
}

pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(crate) fn from_json<T: serde::de::DeserializeOwned>(raw: &str) -> Result<T, StoreError> {
    serde_json::from_str(raw).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Connects with bounded connect and response times, so a silent Redis fails calls
/// instead of hanging deliveries.
pub(crate) async fn connect_redis(url: &str) -> Result<ConnectionManager, StoreError> {
    redis_conn::connect(url, redis_conn::DEFAULT_RESPONSE_TIMEOUT)
        .await
        .map_err(|e| match e {
            redis_conn::ConnectError::InvalidUrl(m) => StoreError::Backend(m),
            redis_conn::ConnectError::Unavailable(m) => StoreError::Unavailable(m),
        })
}

impl RedisDeliveryStore {
    pub async fn connect(url: &str, namespace: &str) -> Result<Self, StoreError> {
        Ok(RedisDeliveryStore {
            connection: connect_redis(url).await?,
            namespace: Namespace::new(namespace),
            append_log: Script::new(APPEND_LOG),
            endpoint_failure: Script::new(ENDPOINT_FAILURE),
            remove_dead: Script::new(REMOVE_DEAD),
        })
    }

    pub(crate) fn key(&self, job: JobId, suffix: &str) -> String {
        self.namespace.job_key(&job, suffix)
    }

    fn attempts_key(&self, job: JobId, event_id: &str) -> String {
        self.key(job, &format!("wh:attempts:{event_id}"))
    }

    fn body_key(&self, job: JobId, url: &str) -> String {
        self.key(job, &format!("wh:body:{}", crate::url_digest(url)))
    }

    /// The failures, disabled and last-attempt hashes of endpoint health.
    fn endpoint_keys(&self) -> [String; 3] {
        ["failures", "disabled", "last"].map(|name| {
            self.namespace
                .global_key(&format!("wh:{{endpoints}}:{name}"))
        })
    }

    /// The keys of an endpoint's log: its entries and its last sequence number. The
    /// endpoint key is hashed, being free text, and is the hash tag, so the two share a slot.
    pub(crate) fn endpoint_log_keys(&self, endpoint: &EndpointKey) -> (String, String) {
        let tag = crate::url_digest(endpoint.as_str());
        (
            self.namespace
                .global_key(&format!("wh:eplog:{{{tag}}}:log")),
            self.namespace
                .global_key(&format!("wh:eplog:{{{tag}}}:seq")),
        )
    }

    pub(crate) fn retention_secs() -> i64 {
        RECORD_RETENTION.as_secs() as i64
    }
}

#[async_trait]
impl AttemptLog for RedisDeliveryStore {
    async fn record_attempt(
        &self,
        job: JobId,
        event_id: &str,
        attempt: &Attempt,
    ) -> Result<(), StoreError> {
        let key = self.attempts_key(job, event_id);
        redis::pipe()
            .rpush(&key, to_json(attempt)?)
            .expire(&key, Self::retention_secs())
            .query_async::<()>(&mut self.connection.clone())
            .await
            .map_err(map_err)
    }

    async fn attempts(&self, job: JobId, event_id: &str) -> Result<Vec<Attempt>, StoreError> {
        let raw: Vec<String> = self
            .connection
            .clone()
            .lrange(self.attempts_key(job, event_id), 0, -1)
            .await
            .map_err(map_err)?;
        raw.iter().map(|r| from_json(r)).collect()
    }

    async fn mark_delivered(&self, job: JobId, event_id: &str) -> Result<(), StoreError> {
        let key = self.key(job, "wh:delivered");
        redis::pipe()
            .sadd(&key, event_id)
            .expire(&key, Self::retention_secs())
            .query_async::<()>(&mut self.connection.clone())
            .await
            .map_err(map_err)
    }

    async fn is_delivered(&self, job: JobId, event_id: &str) -> Result<bool, StoreError> {
        self.connection
            .clone()
            .sismember(self.key(job, "wh:delivered"), event_id)
            .await
            .map_err(map_err)
    }

    async fn unmark_delivered(&self, job: JobId, event_id: &str) -> Result<(), StoreError> {
        self.connection
            .clone()
            .srem::<_, _, ()>(self.key(job, "wh:delivered"), event_id)
            .await
            .map_err(map_err)
    }
}

#[async_trait]
impl SettledLog for RedisDeliveryStore {
    async fn mark_settled(&self, job: JobId, event_id: &str) -> Result<(), StoreError> {
        let key = self.key(job, "wh:settled");
        redis::pipe()
            .sadd(&key, event_id)
            .expire(&key, Self::retention_secs())
            .query_async::<()>(&mut self.connection.clone())
            .await
            .map_err(map_err)
    }

    async fn settled_count(&self, job: JobId) -> Result<u64, StoreError> {
        self.connection
            .clone()
            .scard(self.key(job, "wh:settled"))
            .await
            .map_err(map_err)
    }

    async fn forget_settled(&self, job: JobId, event_ids: &[String]) -> Result<(), StoreError> {
        if event_ids.is_empty() {
            return Ok(());
        }
        self.connection
            .clone()
            .srem::<_, _, ()>(self.key(job, "wh:settled"), event_ids)
            .await
            .map_err(map_err)
    }
}

#[async_trait]
impl DeadLetterStore for RedisDeliveryStore {
    async fn put_dead_letter(&self, letter: &DeadLetter) -> Result<(), StoreError> {
        let key = self.key(letter.job_id, "wh:dead");
        let mut stored = letter.clone();
        // The attempt log is kept once, in its own list; the record refers to it.
        stored.attempts.clear();
        redis::pipe()
            .hset(&key, &letter.event_id, to_json(&stored)?)
            .expire(&key, Self::retention_secs())
            .query_async::<()>(&mut self.connection.clone())
            .await
            .map_err(map_err)
    }

    async fn dead_letters(&self, job: JobId) -> Result<Vec<DeadLetter>, StoreError> {
        let raw: Vec<(String, String)> = self
            .connection
            .clone()
            .hgetall(self.key(job, "wh:dead"))
            .await
            .map_err(map_err)?;
        let mut letters = raw
            .iter()
            .map(|(_, record)| from_json::<DeadLetter>(record))
            .collect::<Result<Vec<_>, _>>()?;
        letters.sort_by(|a, b| (a.dead_at_ms, &a.event_id).cmp(&(b.dead_at_ms, &b.event_id)));
        if letters.is_empty() {
            return Ok(letters);
        }
        let mut pipe = redis::pipe();
        for letter in &letters {
            pipe.lrange(self.attempts_key(job, &letter.event_id), 0, -1);
        }
        let logs: Vec<Vec<String>> = pipe
            .query_async(&mut self.connection.clone())
            .await
            .map_err(map_err)?;
        for (letter, log) in letters.iter_mut().zip(logs) {
            letter.attempts = log.iter().map(|r| from_json(r)).collect::<Result<_, _>>()?;
        }
        Ok(letters)
    }

    async fn remove_dead_letter(
        &self,
        job: JobId,
        event_id: &str,
        record_id: &str,
    ) -> Result<bool, StoreError> {
        let removed: i64 = self
            .remove_dead
            .key(self.key(job, "wh:dead"))
            .arg(event_id)
            .arg(record_id)
            .invoke_async(&mut self.connection.clone())
            .await
            .map_err(map_err)?;
        Ok(removed == 1)
    }
}

#[async_trait]
impl BodyStore for RedisDeliveryStore {
    async fn put_body(
        &self,
        job: JobId,
        body: &StoredBody,
        retention: Duration,
    ) -> Result<(), StoreError> {
        self.connection
            .clone()
            .set_ex::<_, _, ()>(
                self.body_key(job, &body.url),
                to_json(body)?,
                retention.as_secs().max(1),
            )
            .await
            .map_err(map_err)
    }

    async fn body(&self, job: JobId, url: &str) -> Result<Option<StoredBody>, StoreError> {
        let raw: Option<String> = self
            .connection
            .clone()
            .get(self.body_key(job, url))
            .await
            .map_err(map_err)?;
        raw.map(|r| from_json(&r)).transpose()
    }
}

#[async_trait]
impl DeliveryStore for RedisDeliveryStore {
    async fn is_ready(&self) -> bool {
        redis::cmd("PING")
            .query_async::<String>(&mut self.connection.clone())
            .await
            .is_ok()
    }
}
