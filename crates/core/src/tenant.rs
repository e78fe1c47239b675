//! Tenants: who owns webhook endpoints. An API key belongs to a project and an environment
//! (`key:plan:project:env` in `api_keys`), and every key of the same project and
//! environment shares that tenant's endpoints, their names and their health. Jobs stay
//! owned by the key itself (`JobRecord::owner`); a job's spec carries its tenant so that the
//! dispatcher finds the endpoint a job names without knowing the key.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The project of a key that names none.
pub const DEFAULT_PROJECT: &str = "default";
/// The environment of a key that names none.
pub const DEFAULT_ENV: &str = "live";
/// Longest project or environment name.
pub const MAX_TENANT_PART_LEN: usize = 64;

/// A project and one of its environments.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Tenant {
    pub project: String,
    pub env: String,
}

impl Tenant {
    /// A tenant from names already checked by [`Tenant::valid_part`].
    pub fn new(project: impl Into<String>, env: impl Into<String>) -> Self {
        Tenant {
            project: project.into(),
            env: env.into(),
        }
    }

    /// Whether this is the tenant of keys that name no project or environment.
    pub fn is_default(&self) -> bool {
        self.project == DEFAULT_PROJECT && self.env == DEFAULT_ENV
    }

    /// Whether `part` may be a project or environment name: 1 to 64 ASCII letters, digits,
    /// `-` and `_`. Nothing else, so a tenant is safe in Redis keys, headers and paths, and
    /// `project/env` can be split again without ambiguity.
    pub fn valid_part(part: &str) -> bool {
        !part.is_empty()
            && part.len() <= MAX_TENANT_PART_LEN
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    }
}

impl Default for Tenant {
    fn default() -> Self {
        Tenant::new(DEFAULT_PROJECT, DEFAULT_ENV)
    }
}

impl fmt::Display for Tenant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.project, self.env)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_tenant_is_default_live() {
        let tenant = Tenant::default();
        assert!(tenant.is_default());
        assert_eq!(tenant.to_string(), "default/live");
        assert!(!Tenant::new("shop", "live").is_default());
    }

    #[test]
    fn parts_are_short_and_key_safe() {
        for good in ["default", "shop-2", "test_env", "A"] {
            assert!(Tenant::valid_part(good), "{good}");
        }
        let long = "x".repeat(MAX_TENANT_PART_LEN + 1);
        for bad in ["", "a/b", "a:b", "a b", "é", long.as_str()] {
            assert!(!Tenant::valid_part(bad), "{bad}");
        }
    }
}
