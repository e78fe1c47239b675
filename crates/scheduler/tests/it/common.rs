//! Fixtures shared by the suite, and the macro that runs the whole suite on a backend.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use crawler_core::{ApiParams, JobId, JobSpec, Scope};
use crawler_scheduler::{
    LaunchError, Launcher, Schedule, ScheduleId, ScheduleStore, TickConfig, Trigger,
};

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
        webhook_name: None,
        tenant: Default::default(),
        meta: serde_json::json!({ "team": "crawl" }),
        timeout_sec: 3600,
        scope: Scope::Host,
        follow_nofollow: false,
        ignore_query_parameters: false,
        max_pages_per_host: None,
        respect_robots_txt: true,
        name: None,
        custom_id: None,
        async_job: None,
        kind: Default::default(),
        urls: Vec::new(),
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

/// A tick config for `holder` with a lease long enough not to expire during a test.
pub fn config(holder: &str) -> TickConfig {
    TickConfig {
        tick_interval: std::time::Duration::from_millis(20),
        lease_ttl: std::time::Duration::from_secs(30),
        holder: holder.to_owned(),
        batch: 100,
    }
}

/// A launcher that records every launch (schedule and due time) and answers the same way
/// each time.
pub struct CountingLauncher {
    answer: Option<LaunchError>,
    launches: Mutex<Vec<(ScheduleId, u64, JobId)>>,
}

impl CountingLauncher {
    pub fn starting() -> Arc<Self> {
        Self::answering(None)
    }

    pub fn answering(answer: Option<LaunchError>) -> Arc<Self> {
        Arc::new(CountingLauncher {
            answer,
            launches: Mutex::new(Vec::new()),
        })
    }

    /// (schedule, due time, job id handed out) of every launch, in order.
    pub fn launches(&self) -> Vec<(ScheduleId, u64, JobId)> {
        self.launches.lock().unwrap().clone()
    }

    pub fn count(&self) -> usize {
        self.launches.lock().unwrap().len()
    }
}

#[async_trait]
impl Launcher for CountingLauncher {
    async fn launch(&self, schedule: &Schedule) -> Result<JobId, LaunchError> {
        // A real launch awaits the job store; yielding lets concurrent ticks interleave.
        tokio::task::yield_now().await;
        let due = schedule.next_run_ms.expect("a launched run has a due time");
        let job_id = JobId::generate();
        self.launches
            .lock()
            .unwrap()
            .push((schedule.id, due, job_id));
        match &self.answer {
            None => Ok(job_id),
            Some(answer) => Err(answer.clone()),
        }
    }
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
            store::replace_writes_only_over_the_schedule_as_read,
            lease::second_holder_is_refused_while_the_lease_is_held,
            lease::holder_renews_and_keeps_the_lease,
            lease::released_lease_is_free_at_once,
            tick::interval_schedule_starts_at_its_times_and_not_before,
            tick::two_loops_start_each_due_run_exactly_once,
            tick::two_loops_that_both_think_they_lead_still_start_each_run_once,
            tick::other_loop_takes_over_after_the_lease_ttl,
            tick::run_loop_starts_due_runs_and_releases_the_lease_on_shutdown,
            tick::disabled_schedule_starts_nothing,
            tick::runs_missed_during_an_outage_start_once,
            tick::skip_answer_records_a_skipped_run,
            tick::failed_launch_is_recorded_and_the_schedule_goes_on,
            triggers::hourly_schedule_starts_on_the_hour_after_creation,
            triggers::cron_schedule_starts_at_its_times_in_its_time_zone,
            triggers::cron_runs_missed_during_an_outage_start_once,
            triggers::monthly_schedule_starts_on_calendar_months,
            triggers::once_schedule_starts_once,
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
