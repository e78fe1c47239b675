//! The live progress display on stderr.
//!
//! On a terminal it is an indicatif bar that redraws in place. When stderr is a file or a
//! pipe (CI logs, `2> log`), redrawing would fill the log with escape codes, so it prints a
//! plain line at most every two seconds instead, and a last one when the job ends. Either
//! way stdout is left alone, because `crawler crawl --output -` writes pages there.

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
    last_view: Option<ProgressView>,
    last_rate: f64,
    last_plain_line: Option<Instant>,
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
                last_view: None,
                last_rate: 0.0,
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
        counters.last_view = Some(*view);
        counters.last_rate = rate;
        match &self.display {
            Display::Bar(bar) => {
                let done = view.completed.saturating_add(view.failed);
                bar.set_length(done.saturating_add(view.pending));
                bar.set_position(done);
                bar.set_message(status_text(view, rate));
            }
            Display::Plain => {
                let due = counters
                    .last_plain_line
                    .is_none_or(|at| now.saturating_duration_since(at) >= PLAIN_LINE_INTERVAL);
                if due {
                    counters.last_plain_line = Some(now);
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
        let counters = self.lock();
        match &self.display {
            Display::Bar(bar) => bar.finish_and_clear(),
            Display::Plain => {
                // The log's last progress line shows the final counts, whenever the
                // previous one was printed.
                if let Some(view) = &counters.last_view {
                    write_stderr(&plain_line(&self.label, view, counters.last_rate));
                }
            }
            Display::Hidden => {}
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
