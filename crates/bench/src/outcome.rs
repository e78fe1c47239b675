//! What one benchmark run measured, and the checks that tell a fast run from a wrong one:
//! every page of the site fetched exactly once, every page event delivered, one summary.

use std::collections::BTreeSet;
use std::time::Duration;

use crawler_testkit::site::{Expected, TestSite};
use url::Url;

use crate::sampler::ProcessPeak;
use crawler_testkit::receiver::Received;

/// One configuration's figures.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    pub label: String,
    /// Pages the job reported as processed (completed plus failed); for the embedded mode,
    /// the pages the site served.
    pub pages: u64,
    /// From submitting the job (or starting `crawler crawl`) until it ended.
    pub wall: Duration,
    /// Every round's wall time, in the order they ran, once rounds are reduced to this one.
    pub round_walls: Vec<Duration>,
    pub webhooks: Option<WebhookCounts>,
    pub processes: Vec<ProcessPeak>,
    /// The benchmark itself, RabbitMQ and Redis over the same span (CPU time is what
    /// matters for them; their memory is not the crawler's).
    pub context: Vec<ProcessPeak>,
    /// Anything that makes the figures suspect: lost or duplicate pages, a hang, errors or
    /// warnings in the roles' logs.
    pub problems: Vec<String>,
}

impl RunOutcome {
    pub fn pages_per_second(&self) -> f64 {
        self.pages as f64 / self.wall.as_secs_f64().max(f64::EPSILON)
    }

    /// The sum of every process's high-water mark, KiB.
    pub fn total_hwm_kib(&self) -> u64 {
        self.processes.iter().map(|p| p.hwm_kib).sum()
    }

    pub fn total_cpu_secs(&self) -> f64 {
        self.processes.iter().map(|p| p.cpu_secs).sum()
    }
}

/// How many never-requested pages a report names.
const MISSING_EXAMPLES: usize = 8;

/// Requests the site saw for the pages the crawl had to fetch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FetchCounts {
    /// Pages of the expected set requested at least once.
    pub fetched: usize,
    /// Requests beyond the first for the same page.
    pub repeats: usize,
    /// Pages of the expected set never requested.
    pub missing: usize,
    /// The first few of them (by path order), to start an investigation from.
    pub missing_examples: Vec<String>,
}

impl FetchCounts {
    /// Compares the site's request log with the breadth-first search's pages.
    /// `/robots.txt` is the crawler's own business and not counted.
    pub fn of(site: &TestSite, expected: &Expected) -> FetchCounts {
        let wanted: BTreeSet<String> = expected
            .completed
            .keys()
            .chain(expected.failed.keys())
            .filter_map(|url| Url::parse(url).ok())
            .map(|url| url.path().to_string())
            .collect();
        let hits = site.hit_counts();
        let mut counts = FetchCounts::default();
        for path in &wanted {
            match hits.get(path) {
                Some(&n) => {
                    counts.fetched += 1;
                    counts.repeats += n - 1;
                }
                None => {
                    counts.missing += 1;
                    if counts.missing_examples.len() < MISSING_EXAMPLES {
                        counts.missing_examples.push(path.clone());
                    }
                }
            }
        }
        counts
    }
}

/// The webhooks the receiver got for a job.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebhookCounts {
    /// Page events, counting each `webhook-id` once.
    pub pages: usize,
    /// Deliveries of an id already seen (retries the receiver answered twice).
    pub redelivered: usize,
    pub summaries: usize,
    /// From submitting the job until the summary arrived.
    pub summary_after: Option<Duration>,
}

impl WebhookCounts {
    pub fn of(received: &[Received], summary_after: Option<Duration>) -> WebhookCounts {
        let mut ids = BTreeSet::new();
        let mut counts = WebhookCounts {
            summary_after,
            ..WebhookCounts::default()
        };
        for delivery in received {
            if !ids.insert(delivery.header("webhook-id").unwrap_or_default()) {
                counts.redelivered += 1;
                continue;
            }
            if is_summary(&delivery.body) {
                counts.summaries += 1;
            } else {
                counts.pages += 1;
            }
        }
        counts
    }
}

/// Whether a webhook body is the job summary. The event is serialized as an internally
/// tagged enum, so its `event` field comes first; looking only at the head of the body
/// keeps this cheap next to parsing ten thousand page bodies of many kilobytes.
pub fn is_summary(body: &[u8]) -> bool {
    const MARK: &[u8] = b"\"event\":\"crawl.finished\"";
    let head = &body[..body.len().min(256)];
    head.windows(MARK.len()).any(|w| w == MARK)
}

/// Log lines at WARN or ERROR level, in the text or JSON log format.
pub fn warnings_in(logs: &str) -> Vec<String> {
    logs.lines()
        .filter(|line| {
            line.contains(" WARN ")
                || line.contains(" ERROR ")
                || line.contains("\"level\":\"WARN\"")
                || line.contains("\"level\":\"ERROR\"")
        })
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_the_summary_from_page_events() {
        assert!(is_summary(br#"{"jobId":"j","event":"crawl.finished"}"#));
        assert!(!is_summary(br#"{"jobId":"j","event":"crawl.page"}"#));
    }

    #[test]
    fn finds_warnings_and_errors_in_text_and_json_logs() {
        let logs = "2025-01-01T00:00:00Z  INFO crawler: started\n\
                    2025-01-01T00:00:01Z  WARN crawler_queue: publish retried\n\
                    {\"level\":\"ERROR\",\"fields\":{\"message\":\"lost\"}}\n";
        assert_eq!(warnings_in(logs).len(), 2);
    }
}
