//! Pure formatting for the progress display and the end-of-job summary, kept apart from
//! the terminal so that every line a user reads can be checked in a unit test.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use crawler_core::{FailedUrl, JobState, JobStatus, StopReason, SummaryEvent};

use super::ProgressView;

/// Failed URLs listed in a summary; the rest are counted, so a crawl of a broken site does
/// not flood the terminal.
pub const MAX_FAILED_LISTED: usize = 10;

/// How far back the pages-per-second rate looks. Long enough to smooth the bursts of a
/// crawl, short enough to show a slowdown within seconds.
const RATE_WINDOW: Duration = Duration::from_secs(10);

/// One line of counters: `12 done, 1 failed, 5 queued, 3.4 pages/s, cost 12/100`.
pub fn status_text(view: &ProgressView, pages_per_second: f64) -> String {
    format!(
        "{} done, {} failed, {} queued, {:.1} pages/s, {}",
        view.completed,
        view.failed,
        view.pending,
        pages_per_second,
        cost_text(view.cost, view.budget)
    )
}

/// The line printed when stderr is not a terminal: the counters behind the label.
pub fn plain_line(label: &str, view: &ProgressView, pages_per_second: f64) -> String {
    format!("{label}: {}", status_text(view, pages_per_second))
}

/// `cost 12/100`, or `cost 12` for a job without a budget.
fn cost_text(cost: u64, budget: Option<u64>) -> String {
    match budget {
        Some(budget) => format!("cost {cost}/{budget}"),
        None => format!("cost {cost}"),
    }
}

/// `850ms`, `12.3s`, `4m 05s`, `1h 02m 03s`.
pub fn format_elapsed(elapsed: Duration) -> String {
    let secs = elapsed.as_secs();
    if secs == 0 {
        return format!("{}ms", elapsed.as_millis());
    }
    if secs < 60 {
        return format!("{:.1}s", elapsed.as_secs_f64());
    }
    let (hours, minutes, seconds) = (secs / 3600, secs / 60 % 60, secs % 60);
    if hours == 0 {
        format!("{minutes}m {seconds:02}s")
    } else {
        format!("{hours}h {minutes:02}m {seconds:02}s")
    }
}

/// Pages per second over the last few seconds, from samples of the running total of pages
/// processed (completed plus failed). The first sample is only the baseline: a watcher that
/// joins a job late must not count the pages done before it looked as one instant burst.
#[derive(Debug, Default)]
pub struct RateMeter {
    samples: VecDeque<(Instant, u64)>,
}

impl RateMeter {
    pub fn new() -> Self {
        RateMeter::default()
    }

    /// Records the total at `now` and answers the rate over the window.
    pub fn record(&mut self, now: Instant, processed: u64) -> f64 {
        self.samples.push_back((now, processed));
        // Keep one sample older than the window as the anchor, so the rate always spans
        // the whole window once the crawl has run that long.
        while self.samples.len() > 2
            && self
                .samples
                .get(1)
                .is_some_and(|(at, _)| now.saturating_duration_since(*at) >= RATE_WINDOW)
        {
            self.samples.pop_front();
        }
        let (Some(&(first_at, first)), Some(&(last_at, last))) =
            (self.samples.front(), self.samples.back())
        else {
            return 0.0;
        };
        let span = last_at.saturating_duration_since(first_at).as_secs_f64();
        if span <= 0.0 {
            return 0.0;
        }
        last.saturating_sub(first) as f64 / span
    }
}

/// The end-of-job block, built from a summary event (embedded crawl) or from the last
/// status a polling client read (`crawler watch`), so both read the same.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryBlock {
    pub job_id: String,
    pub state: JobState,
    pub stop_reason: Option<StopReason>,
    pub completed: u64,
    pub failed: u64,
    pub cancelled: u64,
    pub cost: u64,
    pub budget: Option<u64>,
    pub elapsed: Option<Duration>,
    /// Known only from a summary event; a status carries counts, not URLs.
    pub failed_urls: Vec<FailedUrl>,
}

impl SummaryBlock {
    pub fn from_summary(summary: &SummaryEvent, elapsed: Option<Duration>) -> Self {
        SummaryBlock {
            job_id: summary.job_id.to_string(),
            state: summary.job_state,
            stop_reason: Some(summary.stop_reason),
            completed: summary.completed.len() as u64,
            failed: summary.failed.len() as u64,
            cancelled: summary.cancelled.len() as u64,
            cost: summary.job_cost,
            budget: summary.crawl_budget,
            elapsed,
            failed_urls: summary.failed.clone(),
        }
    }

    pub fn from_status(status: &JobStatus) -> Self {
        let elapsed = status
            .finished_at
            .map(|finished| Duration::from_millis(finished.saturating_sub(status.created_at)));
        SummaryBlock {
            job_id: status.job_id.to_string(),
            state: status.job_state,
            stop_reason: status.stop_reason,
            completed: status.completed,
            failed: status.failed,
            cancelled: status.cancelled,
            cost: status.job_cost,
            budget: status.crawl_budget,
            elapsed,
            failed_urls: Vec::new(),
        }
    }

    /// The block as printed, ending with a newline.
    pub fn render(&self) -> String {
        let mut out = format!("crawl {}", self.state.as_str());
        if let Some(reason) = self.stop_reason {
            let _ = write!(out, " (stop reason: {})", reason.as_str());
        }
        out.push('\n');
        let _ = writeln!(out, "  job        {}", self.job_id);
        let _ = writeln!(
            out,
            "  pages      {} completed, {} failed, {} cancelled",
            self.completed, self.failed, self.cancelled
        );
        let cost = match self.budget {
            Some(budget) => format!("{} of {budget} credits", self.cost),
            None => format!("{} credits (no budget)", self.cost),
        };
        let _ = writeln!(out, "  cost       {cost}");
        if let Some(elapsed) = self.elapsed {
            let _ = writeln!(out, "  elapsed    {}", format_elapsed(elapsed));
        }
        for (index, failed) in self.failed_urls.iter().take(MAX_FAILED_LISTED).enumerate() {
            let heading = if index == 0 { "failed" } else { "" };
            let _ = writeln!(
                out,
                "  {heading:<10} {} ({})",
                failed.url, failed.fail_reason
            );
        }
        let unlisted = self.failed_urls.len().saturating_sub(MAX_FAILED_LISTED);
        if unlisted > 0 {
            let _ = writeln!(out, "             ... and {unlisted} more");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crawler_core::{CompletedUrl, JobId};

    fn view(budget: Option<u64>) -> ProgressView {
        ProgressView {
            completed: 12,
            failed: 1,
            pending: 5,
            cost: 12,
            budget,
        }
    }

    #[test]
    fn plain_line_shows_every_counter_and_the_budget() {
        assert_eq!(
            plain_line("example.com", &view(Some(100)), 3.44),
            "example.com: 12 done, 1 failed, 5 queued, 3.4 pages/s, cost 12/100"
        );
        assert_eq!(
            status_text(&view(None), 0.0),
            "12 done, 1 failed, 5 queued, 0.0 pages/s, cost 12"
        );
    }

    #[test]
    fn elapsed_reads_naturally_at_every_scale() {
        assert_eq!(format_elapsed(Duration::from_millis(850)), "850ms");
        assert_eq!(format_elapsed(Duration::from_millis(12_340)), "12.3s");
        assert_eq!(format_elapsed(Duration::from_secs(245)), "4m 05s");
        assert_eq!(format_elapsed(Duration::from_secs(3723)), "1h 02m 03s");
    }

    #[test]
    fn rate_follows_recent_pages_not_the_whole_run() {
        let start = Instant::now();
        let mut meter = RateMeter::new();
        assert_eq!(meter.record(start, 500), 0.0, "a late start is not a burst");
        assert_eq!(meter.record(start + Duration::from_secs(2), 520), 10.0);
        // Twenty seconds of nothing: the old burst falls out of the window.
        meter.record(start + Duration::from_secs(12), 520);
        let idle = meter.record(start + Duration::from_secs(22), 520);
        assert_eq!(idle, 0.0);
        let resumed = meter.record(start + Duration::from_secs(24), 540);
        assert!((resumed - 20.0 / 12.0).abs() < 1e-9, "{resumed}");
    }

    fn summary(failed: usize) -> SummaryEvent {
        SummaryEvent {
            job_id: JobId(uuid::Uuid::nil()),
            job_state: JobState::Finished,
            job_cost: 10,
            completed: vec![
                CompletedUrl {
                    url: "http://a/".into(),
                    cost: 1
                };
                10
            ],
            cancelled: vec![],
            failed: (0..failed)
                .map(|i| FailedUrl {
                    url: format!("http://a/{i}"),
                    fail_reason: "http_404".into(),
                })
                .collect(),
            crawl_budget: Some(100),
            stop_reason: StopReason::Exhausted,
            start_url: "http://a/".into(),
            meta: serde_json::Value::Null,
            finished_at: None,
            round: 0,
            name: None,
            custom_id: None,
        }
    }

    #[test]
    fn summary_block_lists_ten_failed_urls_and_counts_the_rest() {
        let text = SummaryBlock::from_summary(&summary(13), Some(Duration::from_secs(65))).render();
        assert!(
            text.starts_with("crawl finished (stop reason: exhausted)\n"),
            "{text}"
        );
        assert!(
            text.contains("  pages      10 completed, 13 failed, 0 cancelled\n"),
            "{text}"
        );
        assert!(text.contains("  cost       10 of 100 credits\n"), "{text}");
        assert!(text.contains("  elapsed    1m 05s\n"), "{text}");
        assert!(
            text.contains("  failed     http://a/0 (http_404)\n"),
            "{text}"
        );
        assert!(text.contains("http://a/9 (http_404)"), "{text}");
        assert!(!text.contains("http://a/10 "), "{text}");
        assert!(text.ends_with("... and 3 more\n"), "{text}");
    }

    #[test]
    fn status_block_has_the_same_shape_without_urls() {
        let status = JobStatus {
            job_id: JobId(uuid::Uuid::nil()),
            job_state: JobState::Cancelled,
            stop_reason: Some(StopReason::Cancelled),
            start_url: "http://a/".into(),
            completed: 3,
            failed: 1,
            cancelled: 2,
            pending: 0,
            job_cost: 3,
            crawl_budget: None,
            meta: serde_json::Value::Null,
            created_at: 1_000,
            finished_at: Some(3_500),
        };
        let text = SummaryBlock::from_status(&status).render();
        assert_eq!(
            text,
            "crawl cancelled (stop reason: cancelled)\n  job        00000000-0000-0000-0000-000000000000\n  pages      3 completed, 1 failed, 2 cancelled\n  cost       3 credits (no budget)\n  elapsed    2.5s\n"
        );
    }
}
