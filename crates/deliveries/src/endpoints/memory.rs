//! Named endpoints in memory, for the embedded mode.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;

use super::{name_of, Endpoint, EndpointStore, Tenant};
use crate::StoreError;

#[derive(Default)]
pub struct MemoryEndpointStore {
    endpoints: Mutex<HashMap<Tenant, BTreeMap<String, Endpoint>>>,
}

impl MemoryEndpointStore {
    fn lock(&self) -> MutexGuard<'_, HashMap<Tenant, BTreeMap<String, Endpoint>>> {
        // Plain maps stay consistent after a panic elsewhere; keep serving them.
        self.endpoints.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl EndpointStore for MemoryEndpointStore {
    async fn create(&self, endpoint: &Endpoint) -> Result<bool, StoreError> {
        let name = name_of(endpoint)?;
        let mut all = self.lock();
        let of_tenant = all.entry(endpoint.tenant.clone()).or_default();
        if of_tenant.contains_key(name) {
            return Ok(false);
        }
        of_tenant.insert(name.to_string(), endpoint.clone());
        Ok(true)
    }

    async fn replace(&self, endpoint: &Endpoint) -> Result<bool, StoreError> {
        let name = name_of(endpoint)?;
        let mut all = self.lock();
        match all
            .get_mut(&endpoint.tenant)
            .and_then(|of_tenant| of_tenant.get_mut(name))
        {
            Some(stored) => {
                *stored = endpoint.clone();
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn get(&self, tenant: &Tenant, name: &str) -> Result<Option<Endpoint>, StoreError> {
        Ok(self
            .lock()
            .get(tenant)
            .and_then(|of_tenant| of_tenant.get(name))
            .cloned())
    }

    async fn list(&self, tenant: &Tenant) -> Result<Vec<Endpoint>, StoreError> {
        Ok(self
            .lock()
            .get(tenant)
            .map(|of_tenant| of_tenant.values().cloned().collect())
            .unwrap_or_default())
    }

    async fn delete(&self, tenant: &Tenant, name: &str) -> Result<bool, StoreError> {
        Ok(self
            .lock()
            .get_mut(tenant)
            .is_some_and(|of_tenant| of_tenant.remove(name).is_some()))
    }
}
