//! The Lua scripts, compiled into the binary. `redis::Script` sends each by its SHA1
//! (`EVALSHA`) and loads it on a `NOSCRIPT` reply, so a restarted Redis needs no set-up.

use redis::Script;

pub(super) struct Scripts {
    pub create_job: Script,
    pub admit: Script,
    pub record_outcome: Script,
    pub close_task: Script,
    pub summary_sent: Script,
    pub request_stop: Script,
    pub claim_redirect: Script,
    pub start_due: Script,
    pub started_sent: Script,
    pub claim_host_slot: Script,
    pub reopen: Script,
    pub purge: Script,
    pub recorded_effects: Script,
}

impl Scripts {
    pub fn new() -> Self {
        Scripts {
            create_job: Script::new(include_str!("scripts/create_job.lua")),
            admit: Script::new(include_str!("scripts/admit.lua")),
            record_outcome: Script::new(include_str!("scripts/record_outcome.lua")),
            close_task: Script::new(include_str!("scripts/close_task.lua")),
            summary_sent: Script::new(include_str!("scripts/summary_sent.lua")),
            request_stop: Script::new(include_str!("scripts/request_stop.lua")),
            claim_redirect: Script::new(include_str!("scripts/claim_redirect.lua")),
            start_due: Script::new(include_str!("scripts/start_due.lua")),
            started_sent: Script::new(include_str!("scripts/started_sent.lua")),
            claim_host_slot: Script::new(include_str!("scripts/claim_host_slot.lua")),
            reopen: Script::new(include_str!("scripts/reopen.lua")),
            purge: Script::new(include_str!("scripts/purge.lua")),
            recorded_effects: Script::new(include_str!("scripts/recorded_effects.lua")),
        }
    }
}
