//! One fetch task, from delivery to acknowledgement.
//!
//! The order of the steps is what makes the crawl exact under crashes and redelivery:
//! 1. fetch (or, when the job's kind allows another try, retry later by re-publishing a
//!    copy with `attempt + 1` and a delay);
//! 2. when the job's kind follows links, admit the page's links in one atomic state step,
//!    and publish the admitted tasks;
//! 3. record the outcome (cost or refund), publish any tasks the refund promoted;
//! 4. publish the page event;
//! 5. close the task (pending - 1) and, if that ended the job, publish the summary and
//!    mark it sent (the close marked it due; a task of an ended job whose summary is still
//!    due, redelivered after a crash or a failed publish, sends it);
//! 6. acknowledge the delivery.
//!
//! Each state step is idempotent and returns on a repeat what it returned the first time,
//! so a task redelivered after a crash at any point republishes whatever may have been lost
//! and never counts twice. A delivery first replays what the store recorded for its URL
//! (`replay.rs`): the tasks its links admitted, and its recorded outcome with the page
//! event and the close, so a redelivery that would decide differently now (the job is
//! stopping, the fetch fails) loses none of them; only a URL with no outcome recorded is
//! decided again. Fault points `worker.after_admit`, `worker.after_record`,
//! `worker.after_event` and `worker.after_close` mark the windows between the steps. Page events come before the close, so the summary (published
//! only by the close that brings pending to zero) always follows every page event.

use std::sync::Arc;
use std::time::Duration;

use crawler_config::Settings;
use crawler_core::async_job::FAILED_DUE_TO_TIMEOUT;
use crawler_core::{time::now_ms, FetchTask, Namespace, StartedEvent, StopReason, WebhookEvent};
use crawler_queue::typed::{EventsQueue, FetchQueue};
use crawler_queue::ReceivedMessage;
use crawler_state::{JobControl, PageOutcome, StateError};
use tokio_util::sync::CancellationToken;
use url::Url;

use super::attempt::{classify_status, fail_reason_of, Attempt};
use super::context::JobCache;
use super::replay::Replayed;
use super::WorkerServices;
use crawler_politeness::{Gate, RobotsCheck};

use super::fetchers::{Fetchers, RobotsVia};
use crate::fetch::HttpFetcher;
use crate::scope::JobContext;

/// How long a task one level ahead of the crawl waits before it is looked at again.
const LEVEL_WAIT: Duration = Duration::from_millis(100);
/// The longest such wait, however far ahead the task is.
const MAX_LEVEL_WAIT: Duration = Duration::from_secs(2);
/// How long after its job's deadline a retry that would wait past it comes back.
const DEADLINE_MARGIN_MS: u64 = 10;

/// Any failure of a backend while processing a task; the task is handed back and retried.
#[derive(Debug, thiserror::Error)]
pub(super) enum StepError {
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Queue(#[from] crawler_queue::QueueError),
    #[error(transparent)]
    Politeness(#[from] crawler_politeness::PolitenessError),
    /// A fault point a test armed (`CRAWLER_FAULTS`); never in a normal build.
    #[error(transparent)]
    Fault(#[from] crawler_faults::InjectedFault),
}

pub struct TaskRunner {
    pub(super) config: Arc<Settings>,
    pub(super) services: WorkerServices,
    pub(super) fetchers: Fetchers,
    pub(super) fetch_queue: FetchQueue,
    pub(super) events_queue: EventsQueue,
    pub(super) jobs: JobCache,
}

impl TaskRunner {
    pub fn new(
        config: Arc<Settings>,
        services: WorkerServices,
        fetchers: Fetchers,
        ns: Namespace,
    ) -> Self {
        TaskRunner {
            config,
            fetch_queue: FetchQueue::new(services.queue.clone(), &ns),
            events_queue: EventsQueue::new(services.queue.clone(), &ns),
            services,
            fetchers,
            jobs: JobCache::default(),
        }
    }

    /// Processes one delivery; never panics on bad input, and acknowledges only once all
    /// effects are confirmed. Once `hurry` is cancelled (the worker is shutting down and
    /// its grace is over) the task is handed back instead: every step is idempotent, so
    /// the worker that takes it next repeats whatever this one had done.
    pub async fn handle(&self, delivery: ReceivedMessage, hurry: CancellationToken) {
        let task = match self.fetch_queue.decode(&delivery) {
            Ok(task) => task,
            Err(error) => {
                tracing::error!(%error, "unreadable message on the fetch queue; dropping it");
                let _ = delivery.ack().await;
                return;
            }
        };
        let processed = tokio::select! {
            processed = self.process(&task) => processed,
            () = hurry.cancelled() => {
                tracing::debug!(url = %task.url, "shutting down; handing the task back");
                let _ = delivery.requeue().await;
                return;
            }
        };
        match processed {
            Ok(()) => {
                if let Err(e) = delivery.ack().await {
                    // The broker will redeliver it; the idempotent steps make that harmless.
                    tracing::warn!(url = %task.url, error = %e, "ack failed");
                }
            }
            Err(e) => {
                tracing::warn!(job = %task.job_id, url = %task.url, error = %e, "task failed; handing it back");
                // Back off a little so a dead backend is not hammered by instant redeliveries,
                // unless the worker is shutting down and must hand the task back now.
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_secs(1)) => {}
                    () = hurry.cancelled() => {}
                }
                let _ = delivery.requeue().await;
            }
        }
    }

    async fn process(&self, task: &FetchTask) -> Result<(), StepError> {
        let state = self.services.state.as_ref();
        let Some(ctx) = self.jobs.get(state, task.job_id).await? else {
            tracing::debug!(job = %task.job_id, "task of an unknown job; dropping it");
            return Ok(());
        };
        let control = state.control(task.job_id).await?;
        match control {
            JobControl::Missing => return Ok(()),
            JobControl::Ended => return self.send_due_summary(&ctx, task).await,
            JobControl::Stopping(_) | JobControl::Running => {}
        }
        // What an earlier delivery recorded goes out again first, whatever is decided now
        // (see `replay.rs`).
        if let Replayed::Done = self.replay_recorded(&ctx, task).await? {
            return Ok(());
        }
        if let JobControl::Stopping(_) = control {
            return self.finish(&ctx, task, PageOutcome::Cancelled, None).await;
        }
        if now_ms() > ctx.record.deadline_ms {
            if ctx.rules().retries.fails_page_at_deadline() {
                let reason = FAILED_DUE_TO_TIMEOUT.to_string();
                tracing::debug!(url = %task.url, last_error = ?task.last_error, "timeoutSec ran out");
                // This delivery makes no try, so the page reports the tries before it (a
                // task whose very first delivery came too late still counts one).
                let tried = FetchTask {
                    attempt: task.attempt.saturating_sub(1),
                    ..task.clone()
                };
                return self.fail(&ctx, &tried, reason, None).await;
            }
            state.request_stop(task.job_id, StopReason::Timeout).await?;
            return self.finish(&ctx, task, PageOutcome::Cancelled, None).await;
        }
        if self.cancelled_item(&ctx, task).await? {
            return self.finish(&ctx, task, PageOutcome::Cancelled, None).await;
        }
        // Level by level (see `JobReads::frontier_depth`): a deeper task waits in the
        // broker until the shallower levels are done, longer the further ahead it is.
        if let Some(frontier) = state.frontier_depth(task.job_id).await? {
            if task.depth > frontier {
                let levels_ahead = task.depth - frontier;
                let wait = LEVEL_WAIT.saturating_mul(levels_ahead).min(MAX_LEVEL_WAIT);
                metrics::counter!("crawler_level_waits_total").increment(1);
                return self.wait_in_queue(task, wait).await;
            }
        }
        self.announce_start(&ctx, task).await?;
        self.fetch_and_settle(&ctx, task).await
    }

    /// Whether the task is an async job the user cancelled (`DELETE /v1/jobs/{id}`): its
    /// result was kept already, as `cancelled`, so it is not fetched.
    async fn cancelled_item(&self, ctx: &JobContext, task: &FetchTask) -> Result<bool, StepError> {
        if !ctx.rules().seeds_are_jobs || task.item == 0 {
            return Ok(false);
        }
        let state = self.services.state.as_ref();
        Ok(state.result(task.job_id, task.item).await?.is_some())
    }

    /// Announces the job (`crawl.started`) when a seed is taken up while the announcement
    /// is still due, if its kind announces itself. Seeds are the only depth-0 tasks (a
    /// crawl's start URL, each URL of a batch), so only they ask the store, once per seed
    /// rather than once per page. The store hears of the announcement only after the
    /// broker confirmed it, so a worker that dies in between leaves it due for the
    /// redelivered seed: at least once, under one event id the dispatcher delivers once.
    async fn announce_start(&self, ctx: &JobContext, task: &FetchTask) -> Result<(), StepError> {
        let state = self.services.state.as_ref();
        if ctx.rules().announces_start && task.depth == 0 && state.start_due(task.job_id).await? {
            let started = WebhookEvent::Started(StartedEvent {
                job_id: task.job_id,
                start_url: ctx.record.spec.start_url.clone(),
                meta: ctx.record.spec.meta.clone(),
            });
            self.publish_event(ctx, started).await?;
            state.started_sent(task.job_id).await?;
        }
        Ok(())
    }

    /// Everything from the page's URL to its outcome: the host's page cap, robots.txt, the
    /// host's pace, the fetch, and what the attempt came to.
    async fn fetch_and_settle(&self, ctx: &JobContext, task: &FetchTask) -> Result<(), StepError> {
        let state = self.services.state.as_ref();
        let Ok(url) = Url::parse(&task.url) else {
            return self.fail(ctx, task, "invalid_url".into(), None).await;
        };
        let spec = &ctx.record.spec;
        if let Some(max_pages) = spec.max_pages_per_host {
            let host = url.host_str().unwrap_or_default();
            if !state
                .claim_host_slot(task.job_id, host, &task.url, max_pages)
                .await?
            {
                // The host had its share: listed with the job's cancelled URLs.
                return self.finish(ctx, task, PageOutcome::Cancelled, None).await;
            }
        }
        let fetcher = self.fetchers.for_job(&spec.api_params);
        let politeness = &self.services.politeness;
        let crawl_delay = if spec.respect_robots_txt {
            let robots = RobotsVia::new(fetcher);
            let verdict = match politeness.check_robots_paced(&url, &robots).await? {
                RobotsCheck::Verdict(verdict) => verdict,
                RobotsCheck::Wait(delay) => {
                    metrics::counter!("crawler_host_waits_total").increment(1);
                    return self.wait_in_queue(task, delay).await;
                }
            };
            if !verdict.allowed {
                let reason = match (verdict.unreachable, robots.network_error()) {
                    (true, Some(network)) => network,
                    (true, None) => "robots_unreachable",
                    (false, _) => "robots_disallowed",
                };
                return self.fail(ctx, task, reason.into(), None).await;
            }
            verdict.crawl_delay
        } else {
            None
        };
        let lease = match politeness.acquire(&url, None, crawl_delay).await? {
            Gate::Granted(lease) => lease,
            Gate::Wait(delay) => {
                metrics::counter!("crawler_host_waits_total").increment(1);
                return self.wait_in_queue(task, delay).await;
            }
        };
        let attempt = self.attempt(ctx, &url, fetcher).await;
        let (status, retry_after) = attempt.throttle_signal();
        if let Err(e) = politeness.release(&lease, status, retry_after).await {
            // The lease expires by itself; the host only loses a slot for a while.
            tracing::warn!(url = %task.url, error = %e, "could not release the host slot");
        }
        self.settle(ctx, task, attempt).await
    }

    /// Steps 2 to 6 for a page that was fetched, or a retry later when the attempt failed
    /// in a way that may pass and the job's kind allows another try.
    async fn settle(
        &self,
        ctx: &JobContext,
        task: &FetchTask,
        attempt: Attempt,
    ) -> Result<(), StepError> {
        match attempt {
            Attempt::Success(page) => self.succeed(ctx, task, page).await,
            Attempt::Retry {
                reason,
                page,
                retry_after,
            } => {
                let retries = ctx.rules().retries;
                if retries.may_retry(task.attempt + 1, self.config.fetch_max_attempts) {
                    return self.retry_later(ctx, task, reason, retry_after).await;
                }
                self.fail(ctx, task, reason, page).await
            }
            Attempt::Failed { reason, page } => self.fail(ctx, task, reason, page).await,
        }
    }

    async fn attempt(&self, ctx: &JobContext, url: &Url, fetcher: &HttpFetcher) -> Attempt {
        let params = &ctx.record.spec.api_params;
        let options = match &ctx.record.spec.async_job {
            Some(job) => self.fetchers.async_options(params, job),
            None => self.fetchers.options(params),
        };
        let started = std::time::Instant::now();
        let fetched = fetcher.fetch(url, &options).await;
        metrics::histogram!("crawler_fetch_seconds").record(started.elapsed().as_secs_f64());
        match fetched {
            Ok(page) => classify_status(page, params.retry_404),
            Err(e) if e.is_retryable() => Attempt::Retry {
                reason: e.fail_reason().to_string(),
                page: None,
                retry_after: None,
            },
            Err(e) => Attempt::Failed {
                reason: fail_reason_of(&e),
                page: None,
            },
        }
    }

    /// The task cannot start yet (its host has no slot, its level is not reached, or it is
    /// a retry): it waits in the broker, not in this worker, so the fetch slot goes to
    /// another task.
    async fn wait_in_queue(&self, task: &FetchTask, delay: Duration) -> Result<(), StepError> {
        self.fetch_queue
            .publish_delayed(task.clone(), delay)
            .await?;
        Ok(())
    }

    async fn retry_later(
        &self,
        ctx: &JobContext,
        task: &FetchTask,
        reason: String,
        retry_after: Option<Duration>,
    ) -> Result<(), StepError> {
        let backoff = self
            .config
            .fetch_retry_backoff_ms
            .saturating_mul(1 << task.attempt.min(10));
        let cap = Duration::from_millis(self.config.crawl_delay_cap_ms);
        let mut delay = retry_after.map_or(Duration::from_millis(backoff), |d| d.min(cap));
        if ctx.rules().retries.fails_page_at_deadline() {
            // No point waiting past the deadline: the task comes back just after it, and
            // fails then with `failed_due_to_timeout` if this was its last chance.
            let left = ctx.record.deadline_ms.saturating_sub(now_ms());
            delay = delay.min(Duration::from_millis(left + DEADLINE_MARGIN_MS));
        }
        let next = FetchTask {
            attempt: task.attempt + 1,
            last_error: Some(reason),
            ..task.clone()
        };
        tracing::debug!(url = %task.url, attempt = next.attempt, ?delay, "retrying later");
        metrics::counter!("crawler_fetch_retries_total").increment(1);
        self.wait_in_queue(&next, delay).await
    }
}
