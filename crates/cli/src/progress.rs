//! The live progress display on stderr.
//!
//! On a terminal it is an indicatif bar that redraws in place. When stderr is a file or a
//! pipe (CI logs, `2> log`), redrawing would fill the log with escape codes, so it prints a
//! plain line instead, at most every two seconds and only when the counters moved (with a
//! heartbeat while they do not). Either way the job ends with the summary block, and
//! stdout is left alone, because `crawler crawl --output -` writes pages there.

mod format;

use std::io::{IsTerminal, Write as _};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crawler_core::SummaryEvent;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub use format::{
    format_elapsed, plain_line, status_text, RateMeter, SummaryBlock, MAX_FAILED_LISTED,
};

/// Shortest gap between two plain lines; often enough to show life, rare enough that a
/// long crawl's log stays readable.
const PLAIN_LINE_INTERVAL: Duration = Duration::from_secs(2);

/// Gap after which unchanged counters are printed again, so a stalled crawl (a slow site,
/// a long `Crawl-delay`) still shows it is alive without repeating itself every line.
const PLAIN_HEARTBEAT_INTERVAL: Duration = Duration::from_secs(30);

/// How often the bar's spinner and elapsed time redraw without new counts.
const TICK_INTERVAL: Duration = Duration::from_millis(120);

/// The counters of a running job, as the caller last read them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProgressView {
    pub completed: u64,
    pub failed: u64,
    pub pending: u64,
    pub cost: u64,
    pub budget: Option<u64>,
}

enum Display {
    /// A terminal: the bar draws itself.
    Bar(ProgressBar),
    /// Not a terminal: plain lines, throttled.
    Plain,
    /// Nothing at all (tests, `--quiet`); the summary is still printed.
    Hidden,
}

struct Counters {
    rate: RateMeter,
    /// When the last plain line was printed, and the counters it showed.
    last_plain_line: Option<(Instant, ProgressView)>,
}

pub struct Progress {
    label: String,
    display: Display,
    started: Instant,
    counters: Mutex<Counters>,
}

impl Progress {
    /// A bar when stderr is a terminal, plain lines when it is not.
    pub fn new(label: &str) -> Progress {
        let display = if std::io::stderr().is_terminal() {
            Display::Bar(new_bar(label))
        } else {
            Display::Plain
        };
        Self::with_display(label, display)
    }

    /// A display that shows no progress, only the lines and the summary it is asked to
    /// print.
    pub fn hidden(label: &str) -> Progress {
        Self::with_display(label, Display::Hidden)
    }

    fn with_display(label: &str, display: Display) -> Progress {
        let started = Instant::now();
        Progress {
            label: label.to_string(),
            display,
            started,
            counters: Mutex::new(Counters {
                rate: RateMeter::new(),
                last_plain_line: None,
            }),
        }
    }

    /// Shows the latest counters; the pages-per-second rate is computed here.
    pub fn update(&self, view: &ProgressView) {
        let now = Instant::now();
        let mut counters = self.lock();
        let rate = counters
            .rate
            .record(now, view.completed.saturating_add(view.failed));
        match &self.display {
            Display::Bar(bar) => {
                let done = view.completed.saturating_add(view.failed);
                bar.set_length(done.saturating_add(view.pending));
                bar.set_position(done);
                bar.set_message(status_text(view, rate));
            }
            Display::Plain => {
                if plain_line_due(counters.last_plain_line, now, view) {
                    counters.last_plain_line = Some((now, *view));
                    write_stderr(&plain_line(&self.label, view, rate));
                }
            }
            Display::Hidden => {}
        }
    }

    /// Prints a line above the bar (a warning, a notice), without tearing the bar.
    pub fn println(&self, line: &str) {
        match &self.display {
            Display::Bar(bar) => bar.suspend(|| write_stderr(line)),
            Display::Plain | Display::Hidden => write_stderr(line),
        }
    }

    /// Clears the bar and prints the summary of a job that ended.
    pub fn finish(&self, summary: &SummaryEvent) {
        let block = SummaryBlock::from_summary(summary, Some(self.started.elapsed()));
        self.finish_with_block(&block);
    }

    /// Clears the bar and prints `block`; for callers that built the summary themselves,
    /// such as `crawler watch` from the last status it polled.
    pub fn finish_with_block(&self, block: &SummaryBlock) {
        // No last progress line in the plain display: the block carries the final counts,
        // and a line from the last poll could contradict them (pages in flight finish
        // after it).
        if let Display::Bar(bar) = &self.display {
            bar.finish_and_clear();
        }
        write_stderr(block.render().trim_end());
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Counters> {
        // The counters stay consistent even if a holder panicked, so a poisoned lock is
        // still usable.
        self.counters
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        // A display dropped without `finish` (an error, a Ctrl-C) must not leave a
        // half-drawn bar under the error message.
        if let Display::Bar(bar) = &self.display {
            if !bar.is_finished() {
                bar.finish_and_clear();
            }
        }
    }
}

/// Whether a plain line for `view` is due: the first one at once, then one per
/// [`PLAIN_LINE_INTERVAL`] while the counters move, and a heartbeat while they do not.
fn plain_line_due(
    last: Option<(Instant, ProgressView)>,
    now: Instant,
    view: &ProgressView,
) -> bool {
    let Some((at, printed)) = last else {
        return true;
    };
    let since = now.saturating_duration_since(at);
    if printed == *view {
        since >= PLAIN_HEARTBEAT_INTERVAL
    } else {
        since >= PLAIN_LINE_INTERVAL
    }
}

fn new_bar(label: &str) -> ProgressBar {
    let style = ProgressStyle::with_template(
        "{spinner:.green} {prefix:.bold} [{elapsed_precise}] {bar:30.cyan/blue} {msg}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ");
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr())
        .with_style(style)
        .with_prefix(label.to_string());
    bar.enable_steady_tick(TICK_INTERVAL);
    bar
}

/// Writes one line to stderr, ignoring a closed stderr: progress is never worth failing a
/// crawl over.
fn write_stderr(line: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{line}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_lines_follow_changes_and_do_not_repeat_themselves() {
        let start = Instant::now();
        let at = |ms: u64| start + Duration::from_millis(ms);
        let idle = ProgressView {
            pending: 1,
            ..ProgressView::default()
        };
        let moved = ProgressView {
            completed: 5,
            ..idle
        };
        assert!(plain_line_due(None, start, &idle), "the first line at once");
        let last = Some((start, idle));
        assert!(!plain_line_due(last, at(1_000), &moved), "not twice in 2 s");
        assert!(
            plain_line_due(last, at(2_000), &moved),
            "new counts after 2 s"
        );
        assert!(
            !plain_line_due(last, at(10_000), &idle),
            "same counts: no repeat"
        );
        assert!(
            plain_line_due(last, at(30_000), &idle),
            "a heartbeat after 30 s"
        );
    }
}
