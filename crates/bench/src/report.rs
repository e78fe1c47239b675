//! The printed result: one line per configuration with ratios against the baseline run of
//! the same invocation (the machine is shared and noisy, so ratios are what compare), then
//! each process's peak memory and CPU time, then anything that makes a figure suspect.

use std::fmt::Write;

use crate::outcome::RunOutcome;

const MIB: f64 = 1024.0;

/// The whole report for `runs`; the first run is the baseline.
pub fn render(runs: &[RunOutcome]) -> String {
    let mut out = String::new();
    let Some(baseline) = runs.first() else {
        return "no runs\n".into();
    };
    let _ = writeln!(out, "baseline of the ratios (x base): {}", baseline.label);
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:<26} {:>6} {:>7} {:>8} {:>6} {:>10} {:>6} {:>7}  \
         webhooks: pages+summaries (summary at s)",
        "configuration", "pages", "wall s", "pages/s", "x base", "peak MiB", "x base", "CPU s",
    );
    for run in runs {
        let webhooks = match &run.webhooks {
            Some(w) => format!(
                "{}+{}{} ({})",
                w.pages,
                w.summaries,
                if w.redelivered > 0 {
                    format!(", {} redelivered", w.redelivered)
                } else {
                    String::new()
                },
                w.summary_after
                    .map(|d| format!("{:.2}", d.as_secs_f64()))
                    .unwrap_or_else(|| "never".into())
            ),
            None => "- (none requested)".into(),
        };
        let _ = writeln!(
            out,
            "{:<26} {:>6} {:>7.2} {:>8.1} {:>6.2} {:>10.1} {:>6.2} {:>7.1}  {}",
            run.label,
            run.pages,
            run.wall.as_secs_f64(),
            run.pages_per_second(),
            ratio(run.pages_per_second(), baseline.pages_per_second()),
            run.total_hwm_kib() as f64 / MIB,
            ratio(run.total_hwm_kib() as f64, baseline.total_hwm_kib() as f64),
            run.total_cpu_secs(),
            webhooks
        );
    }
    let _ = writeln!(out, "(peak MiB: the sum of every process's VmHWM)");
    let _ = writeln!(
        out,
        "figures are from each configuration's median round; wall s of every round:"
    );
    for run in runs {
        let walls: Vec<String> = run
            .round_walls
            .iter()
            .map(|w| format!("{:.2}", w.as_secs_f64()))
            .collect();
        let _ = writeln!(out, "  {:<26} {}", run.label, walls.join("  "));
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:<26} {:<14} {:>9} {:>6} {:>13} {:>7}",
        "configuration", "process", "VmHWM MiB", "x base", "max VmRSS MiB", "CPU s"
    );
    for run in runs {
        for process in &run.processes {
            let base = baseline
                .processes
                .iter()
                .find(|p| p.name == process.name)
                .map(|p| format!("{:.2}", ratio(process.hwm_kib as f64, p.hwm_kib as f64)))
                .unwrap_or_else(|| "-".into());
            let _ = writeln!(
                out,
                "{:<26} {:<14} {:>9.1} {:>6} {:>13.1} {:>7.1}",
                run.label,
                process.name,
                process.hwm_kib as f64 / MIB,
                base,
                process.max_rss_kib as f64 / MIB,
                process.cpu_secs
            );
        }
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:<26} {:<31} {:>7} {:>13}",
        "configuration", "other busy process", "CPU s", "max VmRSS MiB"
    );
    for run in runs {
        for process in &run.context {
            let _ = writeln!(
                out,
                "{:<26} {:<31} {:>7.1} {:>13.1}",
                run.label,
                process.name,
                process.cpu_secs,
                process.max_rss_kib as f64 / MIB
            );
        }
    }
    let _ = writeln!(out, "(CPU s: user + system time during the run)");
    let _ = writeln!(out);
    let problems: Vec<String> = runs
        .iter()
        .flat_map(|run| {
            run.problems
                .iter()
                .map(move |p| format!("{}: {p}", run.label))
        })
        .collect();
    if problems.is_empty() {
        let _ = writeln!(
            out,
            "checks: every run fetched each page exactly once and logged no warning or \
             error; distributed runs delivered every page event with its breadth-first depth \
             and one summary"
        );
    } else {
        let _ = writeln!(out, "PROBLEMS (figures of these runs are suspect):");
        for problem in problems {
            let _ = writeln!(out, "  - {problem}");
        }
    }
    out
}

fn ratio(value: f64, baseline: f64) -> f64 {
    if baseline > 0.0 {
        value / baseline
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::outcome::WebhookCounts;
    use crate::sampler::ProcessPeak;

    fn run(label: &str, wall_secs: u64, worker_hwm_kib: u64) -> RunOutcome {
        RunOutcome {
            label: label.into(),
            pages: 1000,
            wall: Duration::from_secs(wall_secs),
            round_walls: vec![Duration::from_secs(wall_secs)],
            webhooks: Some(WebhookCounts {
                pages: 1000,
                redelivered: 0,
                summaries: 1,
                summary_after: Some(Duration::from_millis(10_500)),
            }),
            processes: vec![ProcessPeak {
                name: "worker-0".into(),
                hwm_kib: worker_hwm_kib,
                max_rss_kib: worker_hwm_kib,
                cpu_secs: 1.5,
            }],
            context: Vec::new(),
            problems: Vec::new(),
        }
    }

    #[test]
    fn ratios_compare_with_the_first_run() {
        let report = render(&[run("one", 10, 10_240), run("two", 5, 20_480)]);
        let two = report
            .lines()
            .find(|l| l.starts_with("two ") && l.contains("1000+1"))
            .expect("summary line of the second run");
        let columns: Vec<&str> = two.split_whitespace().collect();
        // pages, wall, pages/s, x base, peak MiB, x base
        assert_eq!(
            &columns[1..7],
            ["1000", "5.00", "200.0", "2.00", "20.0", "2.00"]
        );
        assert!(report.contains("checks: every run"));
    }

    #[test]
    fn problems_are_listed_under_their_run() {
        let mut bad = run("two", 5, 1);
        bad.problems.push("3 requests repeated a page".into());
        let report = render(&[run("one", 10, 1), bad]);
        assert!(report.contains("PROBLEMS"));
        assert!(report.contains("  - two: 3 requests repeated a page"));
    }
}
