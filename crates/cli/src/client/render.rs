//! How the client shows answers: short `key: value` lines a script can also read, a status
//! block, and a table of jobs.

use std::fmt::Write as _;

use crawler_core::{JobState, JobStatus};

use super::api::{JobList, Submitted};

/// Unix milliseconds as local wall-clock time, `2025-01-31 12:00:01`.
pub fn local_time(ms: u64) -> String {
    i64::try_from(ms)
        .ok()
        .and_then(chrono::DateTime::from_timestamp_millis)
        .map(|at| {
            at.with_timezone(&chrono::Local)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
        .unwrap_or_else(|| ms.to_string())
}

pub fn submitted(answer: &Submitted) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "jobId: {}", answer.status.job_id);
    let _ = writeln!(out, "statusUrl: {}", answer.status_url);
    if let Some(secret) = &answer.webhook_secret {
        let _ = writeln!(out, "webhookSecret: {secret}");
    }
    out
}

fn state_text(status: &JobStatus) -> String {
    match (status.job_state, status.stop_reason) {
        (JobState::Running, Some(reason)) => format!("running (stopping: {})", reason.as_str()),
        (state, Some(reason)) => format!("{} (stop reason: {})", state.as_str(), reason.as_str()),
        (state, None) => state.as_str().to_string(),
    }
}

/// The readable answer of `crawler status`.
pub fn status_block(status: &JobStatus) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "job        {}", status.job_id);
    let _ = writeln!(out, "state      {}", state_text(status));
    let _ = writeln!(out, "start url  {}", status.start_url);
    let _ = writeln!(
        out,
        "pages      {} completed, {} failed, {} cancelled, {} pending",
        status.completed, status.failed, status.cancelled, status.pending
    );
    let cost = match status.crawl_budget {
        Some(budget) => format!("{} of {budget} credits", status.job_cost),
        None => format!("{} credits (no budget)", status.job_cost),
    };
    let _ = writeln!(out, "cost       {cost}");
    let _ = writeln!(out, "created    {}", local_time(status.created_at));
    if let Some(finished) = status.finished_at {
        let _ = writeln!(out, "finished   {}", local_time(finished));
    }
    if !status.meta.is_null() {
        let _ = writeln!(out, "meta       {}", status.meta);
    }
    out
}

/// The answer of `crawler jobs`: newest first, with a hint for the next page.
pub fn job_table(list: &JobList) -> String {
    if list.jobs.is_empty() {
        return if list.total == 0 {
            "no jobs yet\n".to_string()
        } else {
            format!(
                "no jobs at offset {} (there are {})\n",
                list.offset, list.total
            )
        };
    }
    let mut jobs: Vec<&JobStatus> = list.jobs.iter().collect();
    // The coordinator already answers newest first; sorting again keeps the promise even
    // with an older coordinator. The sort is stable, so equal timestamps keep its order.
    jobs.sort_by_key(|job| std::cmp::Reverse(job.created_at));
    let header = [
        "JOB",
        "STATE",
        "DONE",
        "FAILED",
        "PENDING",
        "COST",
        "CREATED",
        "START URL",
    ];
    let rows: Vec<[String; 8]> = jobs
        .iter()
        .map(|job| {
            [
                job.job_id.to_string(),
                job.job_state.as_str().to_string(),
                job.completed.to_string(),
                job.failed.to_string(),
                job.pending.to_string(),
                match job.crawl_budget {
                    Some(budget) => format!("{}/{budget}", job.job_cost),
                    None => job.job_cost.to_string(),
                },
                local_time(job.created_at),
                job.start_url.clone(),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let header = header.map(str::to_string);
    for row in std::iter::once(&header).chain(&rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        let _ = writeln!(out, "{}", cells.join("  ").trim_end());
    }
    let first = list.offset + 1;
    let last = list.offset + list.jobs.len() as u64;
    let _ = write!(out, "jobs {first}-{last} of {}", list.total);
    if let Some(next) = list.next_offset {
        let _ = write!(out, "; next page: crawler jobs --offset {next}");
    }
    out.push('\n');
    out
}
