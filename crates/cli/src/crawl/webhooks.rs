//! `crawl --webhook`: waiting for the webhooks before the process ends.
//!
//! The crawl is over when its summary is written, but its webhooks are sent by the
//! dispatcher running in this process, behind the crawl: stopping right away would drop
//! the last page events and the summary, which a user watching `crawler sink` would miss.
//! The dispatcher sends the summary only after every page event was delivered or
//! dead-lettered (for at most `summary_hold_max`), so the summary's first attempt marks
//! the moment every page event is settled. A page event still on its retry schedule then
//! dies with the process; the report says how many were delivered.

use std::time::Duration;

use crawler_core::messages::event_id_for;
use crawler_core::{SummaryEvent, WebhookEvent};
use crawler_deliveries::DeliveryStore;

use super::interrupts::Interrupts;
use crate::progress::Progress;

/// How often the delivery store is read while waiting.
const POLL: Duration = Duration::from_millis(50);

/// How the webhooks of a finished crawl fared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryReport {
    pub delivered: usize,
    pub total: usize,
    /// Whether the wait was cut short by Ctrl-C.
    pub interrupted: bool,
}

impl DeliveryReport {
    /// The line under the summary block, in its layout.
    pub fn line(&self, url: &str) -> String {
        let mut line = format!(
            "  webhooks   {} of {} delivered to {url}",
            self.delivered, self.total
        );
        if self.interrupted {
            line.push_str("; stopped waiting (Ctrl-C), the rest are dropped");
        } else if self.delivered < self.total {
            line.push_str("; the failed ones are not retried once this command exits");
        }
        line
    }
}

/// Waits until the summary's webhook was tried (or dead-lettered), or Ctrl-C, and counts
/// the deliveries of `page_event_ids` and the summary that succeeded.
pub async fn wait_for_deliveries(
    store: &dyn DeliveryStore,
    summary: &SummaryEvent,
    page_event_ids: &[String],
    progress: &Progress,
    interrupts: &mut Interrupts,
) -> anyhow::Result<DeliveryReport> {
    let job = summary.job_id;
    let summary_id = event_id_for(&WebhookEvent::Summary(summary.clone()));
    progress.println("sending the last webhooks (Ctrl-C to stop waiting)");
    let mut interrupted = false;
    loop {
        let tried = !store.attempts(job, &summary_id).await?.is_empty()
            || store
                .dead_letters(job)
                .await?
                .iter()
                .any(|letter| letter.event_id == summary_id);
        if tried {
            break;
        }
        tokio::select! {
            () = tokio::time::sleep(POLL) => {}
            () = interrupts.recv() => {
                interrupted = true;
                break;
            }
        }
    }
    let mut delivered = 0;
    for id in page_event_ids.iter().chain(std::iter::once(&summary_id)) {
        if store.is_delivered(job, id).await? {
            delivered += 1;
        }
    }
    Ok(DeliveryReport {
        delivered,
        total: page_event_ids.len() + 1,
        interrupted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_says_what_is_lost() {
        let report = DeliveryReport {
            delivered: 14,
            total: 14,
            interrupted: false,
        };
        assert_eq!(
            report.line("http://127.0.0.1:9000/"),
            "  webhooks   14 of 14 delivered to http://127.0.0.1:9000/"
        );
        let report = DeliveryReport {
            delivered: 3,
            ..report
        };
        assert!(report
            .line("u")
            .ends_with("not retried once this command exits"));
    }
}
