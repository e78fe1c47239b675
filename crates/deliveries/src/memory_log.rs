//! The in-memory delivery log and event archive, beside the rest of
//! [`MemoryDeliveryStore`](crate::memory::MemoryDeliveryStore).

use std::time::{Duration, Instant};

use async_trait::async_trait;
use crawler_core::{EventEnvelope, JobId};

use crate::endpoints::EndpointKey;
use crate::log::{LogCursor, LogEntry, LogPage, ENDPOINT_LOG_CAP};
use crate::memory::MemoryDeliveryStore;
use crate::{DeliveryLog, EventArchive, StoreError};

#[async_trait]
impl DeliveryLog for MemoryDeliveryStore {
    async fn log_attempt(
        &self,
        endpoint: &EndpointKey,
        entry: &LogEntry,
    ) -> Result<(), StoreError> {
        let mut inner = self.lock();
        let job_log = inner.job_logs.entry(entry.job_id).or_default();
        let mut numbered = entry.clone();
        numbered.sequence = job_log.len() as u64 + 1;
        job_log.push(numbered);

        let (last, log) = inner.endpoint_logs.entry(endpoint.clone()).or_default();
        *last += 1;
        let mut numbered = entry.clone();
        numbered.sequence = *last;
        log.push_back(numbered);
        while log.len() > ENDPOINT_LOG_CAP {
            log.pop_front();
        }
        Ok(())
    }

    async fn job_log(&self, job: JobId, cursor: LogCursor) -> Result<LogPage, StoreError> {
        let inner = self.lock();
        // A job's entry `n` is at position `n - 1`: skip straight past the cursor.
        let skip = usize::try_from(cursor.after).unwrap_or(usize::MAX);
        let entries = inner
            .job_logs
            .get(&job)
            .map_or(Vec::new(), |log| page_of(log.iter().skip(skip), cursor));
        Ok(LogPage::from_overfetch(entries, cursor))
    }

    async fn endpoint_log(
        &self,
        endpoint: &EndpointKey,
        cursor: LogCursor,
    ) -> Result<LogPage, StoreError> {
        let inner = self.lock();
        let entries = inner
            .endpoint_logs
            .get(endpoint)
            .map_or(Vec::new(), |(_, log)| page_of(log.iter(), cursor));
        Ok(LogPage::from_overfetch(entries, cursor))
    }
}

/// The entries after the cursor, one more than the page holds.
fn page_of<'a>(log: impl Iterator<Item = &'a LogEntry>, cursor: LogCursor) -> Vec<LogEntry> {
    log.filter(|e| e.sequence > cursor.after)
        .take(cursor.clamped_limit() + 1)
        .cloned()
        .collect()
}

#[async_trait]
impl EventArchive for MemoryDeliveryStore {
    async fn keep_event(
        &self,
        envelope: &EventEnvelope,
        retention: Duration,
    ) -> Result<(), StoreError> {
        let mut inner = self.lock();
        let now = Instant::now();
        // Expired events are dropped on every write so the map cannot grow without bound.
        inner.events.retain(|_, (expires, _)| *expires > now);
        let key = (envelope.job_id, envelope.event_id.clone());
        inner
            .events
            .insert(key, (now + retention, envelope.clone()));
        Ok(())
    }

    async fn kept_event(
        &self,
        job: JobId,
        event_id: &str,
    ) -> Result<Option<EventEnvelope>, StoreError> {
        let inner = self.lock();
        Ok(inner
            .events
            .get(&(job, event_id.to_string()))
            .filter(|(expires, _)| *expires > Instant::now())
            .map(|(_, envelope)| envelope.clone()))
    }
}
