//! The Redis delivery log and event archive, beside the rest of
//! [`RedisDeliveryStore`](crate::redis::RedisDeliveryStore).
//!
//! A log is a sorted set scored by sequence number, with a counter beside it
//! (`APPEND_LOG`); a page is `ZRANGEBYSCORE (cursor +inf LIMIT 0 n`, which stays right
//! while entries are appended or the oldest trimmed. A job's log and an endpoint's log are
//! on different Cluster slots, so an entry is appended to each by its own script call; a
//! crash between the two leaves the endpoint's log one entry short, never inconsistent.

use std::time::Duration;

use async_trait::async_trait;
use crawler_core::{EventEnvelope, JobId};
use redis::AsyncCommands;

use crate::endpoints::EndpointKey;
use crate::log::{LogCursor, LogEntry, LogPage, ENDPOINT_LOG_CAP};
use crate::redis::{from_json, map_err, to_json, RedisDeliveryStore};
use crate::{DeliveryLog, EventArchive, StoreError};

impl RedisDeliveryStore {
    async fn append(
        &self,
        (log, counter): (String, String),
        json: &str,
        cap: usize,
    ) -> Result<(), StoreError> {
        self.append_log
            .key(log)
            .key(counter)
            .arg(json)
            .arg(cap)
            .arg(Self::retention_secs())
            .invoke_async::<u64>(&mut self.connection.clone())
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn page(&self, log: String, cursor: LogCursor) -> Result<LogPage, StoreError> {
        let min = format!("({}", cursor.after);
        let raw: Vec<String> = self
            .connection
            .clone()
            .zrangebyscore_limit(log, min, "+inf", 0, cursor.clamped_limit() as isize + 1)
            .await
            .map_err(map_err)?;
        let entries = raw
            .iter()
            .map(|member| numbered_entry(member))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(LogPage::from_overfetch(entries, cursor))
    }

    fn event_key(&self, job: JobId, event_id: &str) -> String {
        self.key(job, &format!("wh:event:{event_id}"))
    }
}

/// Reads a `<sequence>:<json>` member.
fn numbered_entry(member: &str) -> Result<LogEntry, StoreError> {
    let (sequence, json) = member
        .split_once(':')
        .ok_or_else(|| StoreError::Corrupt(format!("log member without a number: {member}")))?;
    let mut entry: LogEntry = from_json(json)?;
    entry.sequence = sequence
        .parse()
        .map_err(|_| StoreError::Corrupt(format!("log member number `{sequence}`")))?;
    Ok(entry)
}

#[async_trait]
impl DeliveryLog for RedisDeliveryStore {
    async fn log_attempt(
        &self,
        endpoint: &EndpointKey,
        entry: &LogEntry,
    ) -> Result<(), StoreError> {
        let json = to_json(entry)?;
        let job_keys = (
            self.key(entry.job_id, "wh:log"),
            self.key(entry.job_id, "wh:log_seq"),
        );
        self.append(job_keys, &json, 0).await?;
        self.append(self.endpoint_log_keys(endpoint), &json, ENDPOINT_LOG_CAP)
            .await
    }

    async fn job_log(&self, job: JobId, cursor: LogCursor) -> Result<LogPage, StoreError> {
        self.page(self.key(job, "wh:log"), cursor).await
    }

    async fn endpoint_log(
        &self,
        endpoint: &EndpointKey,
        cursor: LogCursor,
    ) -> Result<LogPage, StoreError> {
        let (log, _) = self.endpoint_log_keys(endpoint);
        self.page(log, cursor).await
    }
}

#[async_trait]
impl EventArchive for RedisDeliveryStore {
    async fn keep_event(
        &self,
        envelope: &EventEnvelope,
        retention: Duration,
    ) -> Result<(), StoreError> {
        self.connection
            .clone()
            .set_ex::<_, _, ()>(
                self.event_key(envelope.job_id, &envelope.event_id),
                to_json(envelope)?,
                retention.as_secs().max(1),
            )
            .await
            .map_err(map_err)
    }

    async fn kept_event(
        &self,
        job: JobId,
        event_id: &str,
    ) -> Result<Option<EventEnvelope>, StoreError> {
        let raw: Option<String> = self
            .connection
            .clone()
            .get(self.event_key(job, event_id))
            .await
            .map_err(map_err)?;
        raw.map(|r| from_json(&r)).transpose()
    }
}
