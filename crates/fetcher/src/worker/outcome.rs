//! Steps 2 to 5 of a task (see `task.rs`): admit the page's links, record its outcome,
//! publish its page event, close it, and publish the summary when that ended the job.

use crawler_core::time::now_ms;
use crawler_core::{EventEnvelope, FetchTask, PageEvent, PageResponse, PageResult, WebhookEvent};
use crawler_state::{ItemResult, PageOutcome};

use super::events::{page_event, response_of, PageFacts};
use super::task::{StepError, TaskRunner};
use crate::fetch::FetchedPage;
use crate::links::{extract_page_links, LinkOptions};
use crate::scope::JobContext;

/// What a page event says beyond the outcome: the final URL after redirects, the response
/// and the failure reason.
pub(super) type EventFacts = (Option<String>, Option<PageResponse>, Option<String>);

impl TaskRunner {
    pub(super) async fn succeed(
        &self,
        ctx: &JobContext,
        task: &FetchTask,
        page: FetchedPage,
    ) -> Result<(), StepError> {
        let state = self.services.state.as_ref();
        let final_url = (page.final_url.as_str() != task.url).then(|| page.final_url.to_string());
        if let Some(target) = &final_url {
            // A redirect to a page the job already has (or will have) is not fetched twice.
            if !state.claim_redirect(task.job_id, &task.url, target).await? {
                let reason = "duplicate_redirect".to_string();
                return self.fail(ctx, task, reason, Some(page)).await;
            }
        }
        if page.is_html() && ctx.follows_links_at(task.depth) {
            let candidates = self.candidates(ctx, task, &page);
            let admitted = state.admit(task.job_id, &task.url, &candidates).await?;
            crawler_faults::point("worker.after_admit")?;
            self.publish_tasks(admitted).await?;
        }
        let response = Some(response_of(
            &page,
            ctx.record.spec.api_params.output_format.as_deref(),
        ));
        self.finish(
            ctx,
            task,
            PageOutcome::Finished,
            Some((final_url, response, None)),
        )
        .await
    }

    pub(super) async fn fail(
        &self,
        ctx: &JobContext,
        task: &FetchTask,
        reason: String,
        page: Option<FetchedPage>,
    ) -> Result<(), StepError> {
        let final_url = page
            .as_ref()
            .and_then(|p| (p.final_url.as_str() != task.url).then(|| p.final_url.to_string()));
        let response = page.as_ref().map(|p| response_of(p, None));
        let outcome = PageOutcome::Failed {
            reason: reason.clone(),
        };
        self.finish(
            ctx,
            task,
            outcome,
            Some((final_url, response, Some(reason))),
        )
        .await
    }

    /// Steps 3 to 5: record, publish the page event, close.
    pub(super) async fn finish(
        &self,
        ctx: &JobContext,
        task: &FetchTask,
        outcome: PageOutcome,
        event: Option<EventFacts>,
    ) -> Result<(), StepError> {
        let state = self.services.state.as_ref();
        // An async job's item keeps its result by its own id instead (below), once: its
        // body is not stored twice.
        let keeps_page_result = !ctx.rules().seeds_are_jobs;
        if let Some(facts) = event.as_ref().filter(|_| keeps_page_result) {
            // Stored before the outcome, so a page listed as done always has its result.
            let result = page_result(task, &outcome, facts);
            state.put_result(task.job_id, &result).await?;
        }
        let recorded = state
            .record_outcome(task.job_id, &task.url, &outcome)
            .await?;
        crawler_faults::point("worker.after_record")?;
        self.publish_tasks(recorded.promoted.clone()).await?;
        if let Some(facts) = event {
            // On a repeat (another delivery of the task recorded first) the event says
            // what is recorded, which is what the summary lists, not what this attempt saw.
            let charged = (recorded.credits, recorded.current_cost);
            self.publish_page_event(ctx, task, &recorded.outcome, charged, facts)
                .await?;
        }
        crawler_faults::point("worker.after_event")?;
        self.close(ctx, task).await
    }

    /// Step 4: the page event of a recorded outcome, with the credits it cost and the
    /// job's cost right after it (`charged`). A cancelled page has none.
    pub(super) async fn publish_page_event(
        &self,
        ctx: &JobContext,
        task: &FetchTask,
        outcome: &PageOutcome,
        charged: (u64, u64),
        facts: EventFacts,
    ) -> Result<(), StepError> {
        // The reason is the recorded one, which the summary lists too.
        let (final_url, response, _) = facts;
        let (status, fail_reason) = match outcome {
            PageOutcome::Finished => ("finished", None),
            PageOutcome::Failed { reason } => ("failed", Some(reason.clone())),
            PageOutcome::Cancelled => return Ok(()),
        };
        let facts = PageFacts {
            status,
            credits: charged.0,
            current_cost: charged.1,
            fail_reason,
            final_url,
            response,
        };
        let mut page = Some(page_event(ctx, task, facts));
        if ctx.rules().seeds_are_jobs && task.item > 0 {
            page = match page {
                Some(page) => keep_item_result(self.services.state.as_ref(), task, page).await?,
                None => None,
            };
        }
        if let Some(page) = page {
            self.publish_event(ctx, WebhookEvent::Page(page)).await?;
        }
        Ok(())
    }

    /// Step 5: closes the task and, when that ended the job, publishes the summary.
    pub(super) async fn close(&self, ctx: &JobContext, task: &FetchTask) -> Result<(), StepError> {
        let state = self.services.state.as_ref();
        if state.close_task(task.job_id, &task.url, task.depth).await? {
            // The close marked the summary due: from here a crash or a failed publish
            // leaves it to the task's redelivery (`send_due_summary`).
            crawler_faults::point("worker.after_close")?;
            let summary = state.summary(task.job_id).await?;
            tracing::info!(job = %task.job_id, state = summary.job_state.as_str(), cost = summary.job_cost, "job ended");
            metrics::counter!("crawler_jobs_ended_total", "state" => summary.job_state.as_str())
                .increment(1);
            self.publish_summary(ctx, summary).await?;
        }
        Ok(())
    }

    /// A task of a job that ended: when the job's summary is not confirmed sent yet (the
    /// worker that ended the job died, or its publish failed), sends it now. Its event id
    /// comes from the job and round, so a receiver that got it already can tell.
    pub(super) async fn send_due_summary(
        &self,
        ctx: &JobContext,
        task: &FetchTask,
    ) -> Result<(), StepError> {
        let state = self.services.state.as_ref();
        if !state.summary_due(task.job_id).await? {
            return Ok(());
        }
        let summary = state.summary(task.job_id).await?;
        tracing::info!(job = %task.job_id, round = summary.round, "sending a summary that was due");
        metrics::counter!("crawler_summaries_resent_total").increment(1);
        self.publish_summary(ctx, summary).await
    }

    /// Publishes the summary and, once the broker confirmed it, marks it sent.
    async fn publish_summary(
        &self,
        ctx: &JobContext,
        summary: crawler_core::SummaryEvent,
    ) -> Result<(), StepError> {
        let (job, round) = (summary.job_id, summary.round);
        crawler_faults::point("worker.publish_summary")?;
        self.publish_event(ctx, WebhookEvent::Summary(summary))
            .await?;
        self.services.state.summary_sent(job, round).await?;
        Ok(())
    }

    fn candidates(&self, ctx: &JobContext, task: &FetchTask, page: &FetchedPage) -> Vec<FetchTask> {
        let options = LinkOptions {
            follow_nofollow: ctx.record.spec.follow_nofollow,
            max_url_len: self.config.max_url_len,
        };
        extract_page_links(page, &options)
            .into_iter()
            .map(|link| ctx.canonical(link))
            .filter(|link| ctx.accepts(link, task.depth))
            .map(|link| FetchTask {
                job_id: task.job_id,
                url: link.to_string(),
                depth: task.depth + 1,
                attempt: 0,
                last_error: None,
                item: 0,
            })
            .collect()
    }

    /// Whether the job's kind and options send this event at all: an async job sends no
    /// summary, and a failed page only when it asked for `expectUnsuccessReport`.
    fn kind_reports(&self, ctx: &JobContext, event: &WebhookEvent) -> bool {
        match event {
            WebhookEvent::Summary(_) => ctx.rules().sends_summary,
            WebhookEvent::Page(page) if page.status != "finished" => ctx
                .record
                .spec
                .async_job
                .as_ref()
                .is_none_or(|options| options.expect_unsuccess_report),
            _ => true,
        }
    }

    pub(super) async fn publish_tasks(&self, tasks: Vec<FetchTask>) -> Result<(), StepError> {
        self.fetch_queue.publish(tasks).await?;
        Ok(())
    }

    /// Publishes an event for the dispatcher when the job has a webhook, and hands a copy to
    /// the embedded mode's tap.
    pub(super) async fn publish_event(
        &self,
        ctx: &JobContext,
        event: WebhookEvent,
    ) -> Result<(), StepError> {
        if let Some(tap) = &self.services.tap {
            let _ = tap.send(event.clone());
        }
        if !self.kind_reports(ctx, &event) || !ctx.record.spec.publishes(event.kind()) {
            return Ok(());
        }
        self.events_queue
            .publish([EventEnvelope::new(event)])
            .await?;
        Ok(())
    }
}

/// Keeps an async job's item result before its callback goes, so the status says finished
/// or failed by the time the receiver hears of it, and answers the event to call back
/// with. The first result kept wins: when one was kept already, the callback says what
/// `GET /v1/jobs/{id}` says, the kept event for a redelivered task, and nothing at all for
/// an item the user cancelled (`DELETE /v1/jobs/{id}`) while it was being fetched.
async fn keep_item_result(
    state: &dyn crawler_state::StateStore,
    task: &FetchTask,
    page: PageEvent,
) -> Result<Option<PageEvent>, StepError> {
    let result = ItemResult {
        kept_at_ms: now_ms(),
        event: page,
    };
    if state.keep_result(task.job_id, task.item, &result).await? {
        return Ok(Some(result.event));
    }
    let kept = state.result(task.job_id, task.item).await?;
    Ok(match kept {
        Some(kept) if kept.event.status == crawler_core::async_job::CANCELLED => None,
        Some(kept) => Some(kept.event),
        None => Some(result.event),
    })
}

/// What the results download keeps of a fetched or failed page.
fn page_result(task: &FetchTask, outcome: &PageOutcome, facts: &EventFacts) -> PageResult {
    let (final_url, response, fail_reason) = facts;
    PageResult {
        url: task.url.clone(),
        status: match outcome {
            PageOutcome::Finished => "finished",
            _ => "failed",
        }
        .to_string(),
        status_code: response.as_ref().map(|r| r.status_code),
        depth: task.depth,
        final_url: final_url.clone(),
        fail_reason: fail_reason.clone(),
        body: response.as_ref().and_then(|r| r.body.clone()),
        base64_encoded_body: response
            .as_ref()
            .and_then(|r| r.base64_encoded_body.clone()),
    }
}
