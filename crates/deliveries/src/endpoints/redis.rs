//! Named endpoints in Redis: one hash per tenant, endpoint name to JSON record, so a name
//! is unique within its project and environment by construction (`HSETNX`).
//!
//! | key                                  | type | holds                       |
//! |--------------------------------------|------|-----------------------------|
//! | `wh:{endpoints}:defs:<project>/<env>` | hash | endpoint name to JSON record |

use async_trait::async_trait;
use crawler_core::Namespace;
use redis::aio::ConnectionManager;
use redis::{AsyncCommands, Script};

use super::{name_of, Endpoint, EndpointStore, Tenant};
use crate::redis::{connect_redis, from_json, map_err, to_json};
use crate::StoreError;

/// Replaces a field only when it exists, in one step.
const REPLACE: &str = r"
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1";

pub struct RedisEndpointStore {
    connection: ConnectionManager,
    namespace: Namespace,
    replace: Script,
}

impl RedisEndpointStore {
    pub async fn connect(url: &str, namespace: &str) -> Result<Self, StoreError> {
        Ok(RedisEndpointStore {
            connection: connect_redis(url).await?,
            namespace: Namespace::new(namespace),
            replace: Script::new(REPLACE),
        })
    }

    fn key(&self, tenant: &Tenant) -> String {
        self.namespace
            .global_key(&format!("wh:{{endpoints}}:defs:{tenant}"))
    }
}

#[async_trait]
impl EndpointStore for RedisEndpointStore {
    async fn create(&self, endpoint: &Endpoint) -> Result<bool, StoreError> {
        let name = name_of(endpoint)?;
        self.connection
            .clone()
            .hset_nx(self.key(&endpoint.tenant), name, to_json(endpoint)?)
            .await
            .map_err(map_err)
    }

    async fn replace(&self, endpoint: &Endpoint) -> Result<bool, StoreError> {
        let name = name_of(endpoint)?;
        let replaced: i64 = self
            .replace
            .key(self.key(&endpoint.tenant))
            .arg(name)
            .arg(to_json(endpoint)?)
            .invoke_async(&mut self.connection.clone())
            .await
            .map_err(map_err)?;
        Ok(replaced == 1)
    }

    async fn get(&self, tenant: &Tenant, name: &str) -> Result<Option<Endpoint>, StoreError> {
        let raw: Option<String> = self
            .connection
            .clone()
            .hget(self.key(tenant), name)
            .await
            .map_err(map_err)?;
        raw.map(|r| from_json(&r)).transpose()
    }

    async fn list(&self, tenant: &Tenant) -> Result<Vec<Endpoint>, StoreError> {
        let raw: Vec<(String, String)> = self
            .connection
            .clone()
            .hgetall(self.key(tenant))
            .await
            .map_err(map_err)?;
        let mut endpoints = raw
            .iter()
            .map(|(_, record)| from_json::<Endpoint>(record))
            .collect::<Result<Vec<_>, _>>()?;
        endpoints.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(endpoints)
    }

    async fn delete(&self, tenant: &Tenant, name: &str) -> Result<bool, StoreError> {
        let removed: i64 = self
            .connection
            .clone()
            .hdel(self.key(tenant), name)
            .await
            .map_err(map_err)?;
        Ok(removed == 1)
    }
}
