//! Fixtures shared by the suite, and the macro that runs the whole suite on a backend.

use std::sync::Arc;

use crawler_core::{ApiParams, JobSpec, Scope};
use crawler_scheduler::{Schedule, ScheduleStore, Trigger};

/// Two handles on one store: the same one for the memory backend, two connections to one
/// namespace for Redis, as two coordinators would have.
#[derive(Clone)]
pub struct Stores {
    pub a: Arc<dyn ScheduleStore>,
    pub b: Arc<dyn ScheduleStore>,
}

/// Where the suite's clocks start: a plausible Unix time in milliseconds.
pub const T0: u64 = 1_700_000_000_000;

pub fn spec() -> JobSpec {
    JobSpec {
        start_url: "https://example.com/".to_owned(),
        url_regexp_include: ".*".to_owned(),
        url_regexp_exclude: None,
        max_depth: Some(2),
        crawl_budget: Some(100),
        api_params: ApiParams::default(),
        callback: None,
        meta: serde_json::json!({ "team": "crawl" }),
        timeout_sec: 3600,
        scope: Scope::Host,
        follow_nofollow: false,
        ignore_query_parameters: false,
        max_pages_per_host: None,
        respect_robots_txt: true,
    }
}

/// An enabled interval schedule created at `created_at_ms`.
pub fn schedule(owner: &str, every_ms: u64, created_at_ms: u64) -> Schedule {
    Schedule::new(
        owner,
        format!("every {every_ms} ms"),
        spec(),
        Trigger::Interval { every_ms },
        created_at_ms,
    )
}

/// A schedule due at `next_run_ms` (or never), enabled or not.
pub fn due_at(next_run_ms: Option<u64>, enabled: bool) -> Schedule {
    let mut schedule = schedule("owner", 60_000, T0);
    schedule.next_run_ms = next_run_ms;
    schedule.enabled = enabled;
    schedule
}

/// Expands to one `#[tokio::test]` per suite function, each on fresh stores made by
/// `$make_stores().await`. The list lives here, once, so no backend can skip a test.
macro_rules! backend_suite {
    ($make_stores:path) => {
        backend_suite!(@tests $make_stores;
            store::put_then_get_list_and_delete,
            store::replace_moves_the_indexes_with_the_schedule,
            store::due_is_ordered_by_time_and_capped_by_limit,
            store::claim_run_is_a_compare_and_set,
            store::concurrent_claims_of_one_due_time_succeed_once,
            store::run_log_keeps_the_newest_runs_first,
            lease::second_holder_is_refused_while_the_lease_is_held,
            lease::holder_renews_and_keeps_the_lease,
            lease::released_lease_is_free_at_once,
        );
    };
    (@tests $make_stores:path; $($module:ident :: $name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                crate::suite::$module::$name($make_stores().await).await;
            }
        )*
    };
}
