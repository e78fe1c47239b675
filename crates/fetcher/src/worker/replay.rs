//! What a task redelivered after a crash does first: republish what the store recorded
//! for its URL, before it decides anything.
//!
//! An earlier delivery may have admitted the page's links, recorded its outcome (charging
//! it) or published its event, and died before the rest. Deciding again from scratch would
//! lose those effects whenever the new decision differs: a job stopping now, past its
//! deadline, or a fetch failing now takes a branch that publishes no links and no event,
//! so a child is never queued (`pending` never reaches 0) and a charged page has no
//! event. So the stored effects are replayed as they were recorded, and only a URL with
//! no outcome goes on to be decided.

use std::collections::BTreeMap;

use base64::Engine;
use crawler_core::{FetchTask, PageResponse, PageResult};

use super::outcome::EventFacts;
use super::task::{StepError, TaskRunner};
use crate::scope::JobContext;

/// What a delivery does after looking at what its URL already has.
pub(super) enum Replayed {
    /// The outcome was recorded: its tasks, event and close are done again, and so is
    /// the task.
    Done,
    /// No outcome yet: any tasks the links admitted are published again, and the page
    /// is decided as usual.
    Decide,
}

impl TaskRunner {
    pub(super) async fn replay_recorded(
        &self,
        ctx: &JobContext,
        task: &FetchTask,
    ) -> Result<Replayed, StepError> {
        let state = self.services.state.as_ref();
        let effects = state.recorded_effects(task.job_id, &task.url).await?;
        if effects.is_empty() {
            return Ok(Replayed::Decide);
        }
        metrics::counter!("crawler_task_replays_total").increment(1);
        tracing::debug!(
            url = %task.url,
            open_tasks = effects.open_tasks.len(),
            recorded = effects.outcome.is_some(),
            "replaying what an earlier delivery recorded"
        );
        self.publish_tasks(effects.open_tasks).await?;
        let Some(recorded) = effects.outcome else {
            return Ok(Replayed::Decide);
        };
        let facts = stored_facts(effects.result.as_ref());
        let charged = (recorded.credits, recorded.current_cost);
        self.publish_page_event(ctx, task, &recorded.outcome, charged, facts)
            .await?;
        self.close(ctx, task).await?;
        Ok(Replayed::Done)
    }
}

/// The event facts of a page, rebuilt from its stored result: the body the first event
/// carried, the final URL and the HTTP status. The response headers are not stored, so a
/// replayed event has none. A page with no stored result (an async job's item keeps its
/// event instead; a page that failed before any response) has no response.
fn stored_facts(result: Option<&PageResult>) -> EventFacts {
    let Some(result) = result else {
        return (None, None, None);
    };
    let response = result.status_code.map(|status_code| {
        let body_size = match (&result.body, &result.base64_encoded_body) {
            (Some(text), _) => text.len(),
            (None, Some(encoded)) => base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .map_or(0, |bytes| bytes.len()),
            (None, None) => 0,
        };
        PageResponse {
            status_code,
            headers: BTreeMap::new(),
            body: result.body.clone(),
            base64_encoded_body: result.base64_encoded_body.clone(),
            body_truncated: false,
            body_size: body_size as u64,
            body_url: None,
        }
    });
    (
        result.final_url.clone(),
        response,
        result.fail_reason.clone(),
    )
}

#[cfg(test)]
mod tests {
    use super::stored_facts;
    use crawler_core::PageResult;

    fn result(body: Option<&str>, base64: Option<&str>) -> PageResult {
        PageResult {
            url: "https://example.com/a".into(),
            status: "finished".into(),
            status_code: Some(200),
            depth: 1,
            final_url: Some("https://example.com/b".into()),
            fail_reason: None,
            body: body.map(str::to_owned),
            base64_encoded_body: base64.map(str::to_owned),
        }
    }

    #[test]
    fn a_replayed_event_carries_the_stored_body_and_final_url() {
        let (final_url, response, reason) = stored_facts(Some(&result(Some("<p>hi</p>"), None)));
        assert_eq!(final_url.as_deref(), Some("https://example.com/b"));
        assert_eq!(reason, None);
        let response = response.expect("a response");
        assert_eq!(response.status_code, 200);
        assert_eq!(response.body.as_deref(), Some("<p>hi</p>"));
        assert_eq!(response.body_size, 9);

        // "AAEC" is three bytes.
        let (_, response, _) = stored_facts(Some(&result(None, Some("AAEC"))));
        let response = response.expect("a response");
        assert_eq!(response.base64_encoded_body.as_deref(), Some("AAEC"));
        assert_eq!(response.body_size, 3);
    }

    #[test]
    fn a_page_without_a_response_replays_without_one() {
        let mut failed = result(None, None);
        failed.status_code = None;
        failed.fail_reason = Some("failed_due_to_timeout".into());
        let (_, response, reason) = stored_facts(Some(&failed));
        assert_eq!(response, None);
        assert_eq!(reason.as_deref(), Some("failed_due_to_timeout"));
        assert_eq!(stored_facts(None), (None, None, None));
    }
}
