//! Helpers shared by the backend test binaries, and the macro that runs the one
//! conformance suite (`suite.rs`) against a backend.

#![allow(dead_code)]

pub mod suite;

use crawler_core::{ApiParams, FetchTask, JobId, JobKind, JobRecord, JobSpec, Scope};

pub const START: &str = "https://example.com/";

/// A URL on the start URL's host.
pub fn url(path: &str) -> String {
    format!("https://example.com/{path}")
}

pub fn record(
    owner: &str,
    crawl_budget: Option<u64>,
    cost_per_page: u64,
    created_at_ms: u64,
) -> JobRecord {
    JobRecord {
        job_id: JobId::generate(),
        owner: owner.to_owned(),
        spec: JobSpec {
            kind: JobKind::Crawl,
            start_url: START.to_owned(),
            urls: Vec::new(),
            url_regexp_include: ".*".to_owned(),
            url_regexp_exclude: None,
            max_depth: Some(5),
            crawl_budget,
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
        },
        cost_per_page,
        created_at_ms,
        deadline_ms: created_at_ms + 3_600_000,
    }
}

/// A batch job of `urls`: each is a depth-0 seed, the first is its start URL.
pub fn batch(urls: &[&str], crawl_budget: Option<u64>, cost_per_page: u64) -> JobRecord {
    let mut job = record("owner", crawl_budget, cost_per_page, 1);
    job.spec.kind = JobKind::Batch;
    job.spec.start_url = urls
        .first()
        .map_or_else(String::new, |url| (*url).to_owned());
    job.spec.urls = urls.iter().map(|url| (*url).to_owned()).collect();
    job
}

/// The depth-0 seed task for `url`, numbered as the job's kind numbers its seeds.
pub fn seed(job: &JobRecord, url: &str) -> FetchTask {
    job.spec
        .seed_tasks(job.job_id)
        .into_iter()
        .find(|task| task.url == url)
        .unwrap_or_else(|| FetchTask::seed(job.job_id, url.to_owned()))
}

/// A depth-1 task for `url`.
pub fn task(job: &JobRecord, url: &str) -> FetchTask {
    FetchTask {
        job_id: job.job_id,
        url: url.to_owned(),
        depth: 1,
        attempt: 0,
        last_error: None,
        item: 0,
    }
}

pub fn tasks<S: AsRef<str>>(job: &JobRecord, urls: &[S]) -> Vec<FetchTask> {
    urls.iter().map(|url| task(job, url.as_ref())).collect()
}

pub fn urls_of(tasks: &[FetchTask]) -> Vec<String> {
    tasks.iter().map(|task| task.url.clone()).collect()
}

/// Expands to one `#[tokio::test]` per suite function, each on a fresh store made by
/// `$make_store().await`. The list of tests lives here, once, so no backend can skip one.
macro_rules! conformance_suite {
    ($make_store:path) => {
        conformance_suite!(@tests $make_store;
            create_job_then_read_it_back,
            missing_job_reads_as_absent,
            admit_dedups_within_and_across_calls,
            admit_is_idempotent_per_parent,
            unlimited_budget_admits_everything,
            budget_reserves_and_overflows,
            refund_promotes_overflow_in_order,
            no_promotion_or_admission_while_stopping,
            record_outcome_charges_finished_pages_once,
            close_task_ends_the_job_exactly_once,
            exhausted_job_summary_lists_every_page,
            budget_end_state_counts_overflow_as_cancelled,
            cancel_end_state_and_first_stop_reason_wins,
            timeout_end_state,
            running_summary_reports_progress,
            list_jobs_newest_first_with_pagination,
            claim_redirect_claims_unseen_targets_once,
            host_slots_cap_pages_per_host,
            frontier_is_the_lowest_depth_with_pending_tasks,
            promoted_tasks_count_at_their_depth,
            start_stays_due_until_sent,
            a_crawl_is_created_with_its_start_url_as_its_one_seed,
            a_multi_seed_job_admits_each_distinct_seed_once,
            an_async_batch_numbers_its_seeds_from_one,
            an_item_s_first_result_is_kept_and_read_back,
            seeds_beyond_the_budget_overflow_and_are_promoted_at_depth_0,
            a_multi_seed_job_ends_once_every_seed_is_closed,
            concurrent_admissions_respect_the_budget,
            concurrent_crawl_never_overspends_and_ends_once,
            results_page_through_the_recorded_pages_in_order,
            reopen_fetches_pages_again_and_ends_with_a_new_round,
            reopen_keeps_failed_pages_the_budget_has_no_room_for,
            purge_deletes_the_job_and_its_results,
            the_ending_close_marks_the_summary_due_until_it_is_sent,
            a_continuation_s_end_is_due_again_and_a_stale_confirmation_keeps_it,
            due_summaries_come_oldest_first_up_to_the_limit,
            // Replaying a redelivered task.
            a_url_with_nothing_recorded_has_nothing_to_replay,
            recorded_effects_show_each_step_a_delivery_took,
            a_result_without_an_outcome_is_not_replayed,
            a_refund_s_promotions_are_there_to_republish,
            a_repeated_record_reports_the_first_outcome,
        );
    };
    (@tests $make_store:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                common::suite::$name($make_store().await).await;
            }
        )*
    };
}

/// The depth the suite's tasks have: 0 for the start URL, 1 for the links `task` makes.
pub fn depth_of(url: &str) -> u32 {
    if url == START {
        0
    } else {
        1
    }
}
