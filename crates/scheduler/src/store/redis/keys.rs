//! The Redis store's key names and Lua scripts.

use crawler_core::Namespace;
use redis::Script;

use crate::schedule::ScheduleId;

/// The key names of one namespace.
pub(super) struct Keys {
    /// `<namespace>:{<namespace>:schedules}`, the start of every key.
    pub(super) prefix: String,
    pub(super) due: String,
    pub(super) owners: String,
    pub(super) lease: String,
}

impl Keys {
    pub(super) fn new(namespace: &Namespace) -> Self {
        let prefix = namespace.global_key(&format!("{{{}:schedules}}", namespace.as_str()));
        Keys {
            due: format!("{prefix}:due"),
            owners: format!("{prefix}:owners"),
            lease: format!("{prefix}:lease"),
            prefix,
        }
    }

    pub(super) fn record(&self, id: ScheduleId) -> String {
        format!("{}:record:{id}", self.prefix)
    }

    pub(super) fn runs(&self, id: ScheduleId) -> String {
        format!("{}:runs:{id}", self.prefix)
    }
}

/// The Lua scripts, sent by SHA1 and loaded on a `NOSCRIPT` reply.
pub(super) struct Scripts {
    pub(super) put: Script,
    pub(super) delete: Script,
    pub(super) claim_run: Script,
    pub(super) record_run: Script,
    pub(super) renew_lease: Script,
    pub(super) release_lease: Script,
}

impl Scripts {
    pub(super) fn new() -> Self {
        Scripts {
            put: Script::new(include_str!("../scripts/put.lua")),
            delete: Script::new(include_str!("../scripts/delete.lua")),
            claim_run: Script::new(include_str!("../scripts/claim_run.lua")),
            record_run: Script::new(include_str!("../scripts/record_run.lua")),
            renew_lease: Script::new(include_str!("../scripts/renew_lease.lua")),
            release_lease: Script::new(include_str!("../scripts/release_lease.lua")),
        }
    }
}
