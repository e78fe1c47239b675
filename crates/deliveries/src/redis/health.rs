//! Endpoint health in Redis: three hashes under one hash tag, keyed by endpoint key, so a
//! failure's count, disable and latest attempt change in one script on one slot.

use async_trait::async_trait;
use crawler_core::time::now_ms;

use super::{from_json, map_err, to_json, RedisDeliveryStore};
use crate::endpoints::EndpointKey;
use crate::{Attempt, EndpointHealth, HealthStore, StoreError};

#[async_trait]
impl HealthStore for RedisDeliveryStore {
    async fn record_endpoint_failure(
        &self,
        endpoint: &EndpointKey,
        attempt: &Attempt,
        disable_after: u32,
    ) -> Result<EndpointHealth, StoreError> {
        let [failures, disabled, last] = self.endpoint_keys();
        let (count, disabled_at): (u64, String) = self
            .endpoint_failure
            .key(failures)
            .key(disabled)
            .key(last)
            .arg(endpoint.as_str())
            .arg(disable_after)
            .arg(now_ms())
            .arg(to_json(attempt)?)
            .invoke_async(&mut self.connection.clone())
            .await
            .map_err(map_err)?;
        let disabled_at_ms = disabled_at.parse().ok();
        Ok(EndpointHealth {
            consecutive_failures: u32::try_from(count).unwrap_or(u32::MAX),
            disabled: disabled_at_ms.is_some(),
            disabled_at_ms,
            last_attempt: Some(attempt.clone()),
        })
    }

    async fn record_endpoint_success(
        &self,
        endpoint: &EndpointKey,
        attempt: &Attempt,
    ) -> Result<(), StoreError> {
        let [failures, _, last] = self.endpoint_keys();
        redis::pipe()
            .atomic()
            .hdel(failures, endpoint.as_str())
            .hset(last, endpoint.as_str(), to_json(attempt)?)
            .query_async::<()>(&mut self.connection.clone())
            .await
            .map_err(map_err)
    }

    async fn endpoint_health(&self, endpoint: &EndpointKey) -> Result<EndpointHealth, StoreError> {
        let [failures, disabled, last] = self.endpoint_keys();
        let (count, disabled_at, last_attempt): (Option<u64>, Option<u64>, Option<String>) =
            redis::pipe()
                .hget(failures, endpoint.as_str())
                .hget(disabled, endpoint.as_str())
                .hget(last, endpoint.as_str())
                .query_async(&mut self.connection.clone())
                .await
                .map_err(map_err)?;
        Ok(EndpointHealth {
            consecutive_failures: u32::try_from(count.unwrap_or(0)).unwrap_or(u32::MAX),
            disabled: disabled_at.is_some(),
            disabled_at_ms: disabled_at,
            last_attempt: last_attempt.map(|raw| from_json(&raw)).transpose()?,
        })
    }

    async fn reenable_endpoint(&self, endpoint: &EndpointKey) -> Result<bool, StoreError> {
        let [failures, disabled, _] = self.endpoint_keys();
        let (_, was_disabled): (i64, i64) = redis::pipe()
            .atomic()
            .hdel(failures, endpoint.as_str())
            .hdel(disabled, endpoint.as_str())
            .query_async(&mut self.connection.clone())
            .await
            .map_err(map_err)?;
        Ok(was_disabled == 1)
    }

    async fn forget_endpoint(&self, endpoint: &EndpointKey) -> Result<(), StoreError> {
        let [failures, disabled, last] = self.endpoint_keys();
        redis::pipe()
            .atomic()
            .hdel(failures, endpoint.as_str())
            .hdel(disabled, endpoint.as_str())
            .hdel(last, endpoint.as_str())
            .query_async::<()>(&mut self.connection.clone())
            .await
            .map_err(map_err)
    }
}
