//! `crawler crawl URL`: a whole crawl in this process, on in-memory backends, with page
//! events written as JSON lines and a live progress display.

mod failure;
mod interrupts;
mod webhooks;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use crawler_core::messages::event_id_for;
use crawler_core::{JobId, JobState, StopReason, SummaryEvent, WebhookEvent};
use crawler_runtime::{BackendChoice, Embedded, EmbeddedOptions, Roles, Services};
use serde_json::{json, Value};
use tokio::sync::mpsc;

use self::interrupts::Interrupts;
use super::local::LocalCoordinator;
use super::progress::{Progress, ProgressView};
use super::{demo, output::Output};

#[derive(Args, Debug)]
pub struct CrawlArgs {
    /// Where to start. Omit it with --demo.
    #[arg(required_unless_present = "demo")]
    pub url: Option<String>,
    /// Crawl a small site this command serves itself on loopback.
    #[arg(long)]
    pub demo: bool,
    /// Link depth to follow from the start URL (0 = the start URL only).
    #[arg(long)]
    pub max_depth: Option<u32>,
    /// Credits the crawl may spend (1 per successful page by default).
    #[arg(long)]
    pub budget: Option<u64>,
    /// Only follow URLs matching this regex.
    #[arg(long)]
    pub include: Option<String>,
    /// Never follow URLs matching this regex.
    #[arg(long)]
    pub exclude: Option<String>,
    /// Worker loops (each runs `worker_concurrency` fetches at once).
    #[arg(long, default_value_t = 2)]
    pub workers: usize,
    /// Also deliver signed webhooks to this URL.
    #[arg(long, value_name = "URL")]
    pub webhook: Option<String>,
    /// Sign the webhooks with this secret (`crawler sink --secret` checks it); generated
    /// and printed when absent.
    #[arg(long, value_name = "whsec_...", requires = "webhook")]
    pub webhook_secret: Option<String>,
    /// Where to write one JSON line per page and the summary; `-` is stdout.
    #[arg(long, short, default_value = "-")]
    pub output: String,
    /// A TOML file with settings; CRAWLER_* environment variables override it.
    #[arg(long, env = "CRAWLER_CONFIG")]
    pub config: Option<PathBuf>,
}

/// Exit status when the job ended cancelled or timed out.
const EXIT_CANCELLED: u8 = 3;

pub async fn run(args: CrawlArgs) -> anyhow::Result<ExitCode> {
    let config = Arc::new(super::local::settings(args.config.as_deref())?);
    let demo_site = if args.demo {
        Some(demo::serve().await?)
    } else {
        None
    };
    let start_url = match (&args.url, &demo_site) {
        (Some(url), _) => url.clone(),
        (None, Some(site)) => site.url.clone(),
        (None, None) => anyhow::bail!("give a URL to crawl, or --demo"),
    };
    let backends = Services::connect(&config, BackendChoice::Memory, Roles::ALL).await?;
    let (tap, mut events) = mpsc::unbounded_channel();
    let options = EmbeddedOptions {
        workers: args.workers,
        dispatcher: args.webhook.is_some(),
        tap: Some(tap),
    };
    let roles = Embedded::start(config.clone(), backends.clone(), options)?;
    let coordinator = LocalCoordinator::start(config.clone(), &backends).await?;

    let submitted = coordinator.submit(&job_body(&args, &start_url)).await;
    // The output is opened only once the job is accepted, so that a refused job (a typo
    // in a regex) does not truncate the results of an earlier crawl.
    let opened = submitted.and_then(|job| Ok((job, Output::open(&args.output)?)));
    let (submitted, mut output) = match opened {
        Ok(opened) => opened,
        Err(e) => {
            coordinator.stop().await;
            roles.stop().await;
            return Err(e);
        }
    };
    let job = submitted.job;
    let mut interrupts = Interrupts::listen()?;
    let progress = Progress::new(&format!("crawling {start_url}"));
    if let (Some(secret), None) = (&submitted.webhook_secret, &args.webhook_secret) {
        progress.println(&format!("webhooks are signed with {secret}"));
    }
    let mut follower = Follower {
        coordinator: &coordinator,
        job,
        progress: &progress,
        output: &mut output,
        interrupts: &mut interrupts,
        page_event_ids: Vec::new(),
    };
    let summary = follower.follow(&mut events).await?;
    let page_event_ids = std::mem::take(&mut follower.page_event_ids);
    let deliveries = match &args.webhook {
        Some(url) => {
            let report = webhooks::wait_for_deliveries(
                backends.deliveries.as_ref(),
                &summary,
                &page_event_ids,
                &progress,
                &mut interrupts,
            )
            .await?;
            Some(report.line(url))
        }
        None => None,
    };
    progress.finish(&summary);
    if let Some(line) = deliveries {
        progress.println(&line);
    }
    output.flush()?;
    coordinator.stop().await;
    roles.stop().await;
    failure::explain_failure(&summary);
    Ok(match summary.stop_reason {
        StopReason::Cancelled | StopReason::Timeout => ExitCode::from(EXIT_CANCELLED),
        _ if summary.job_state == JobState::Failed => ExitCode::FAILURE,
        _ if summary.completed.is_empty() => ExitCode::FAILURE,
        _ => ExitCode::SUCCESS,
    })
}

fn job_body(args: &CrawlArgs, start_url: &str) -> Value {
    let mut body = json!({ "start_url": start_url });
    let max_depth = match (args.max_depth, args.budget) {
        (None, None) => Some(if args.demo { 3 } else { 1 }),
        (depth, _) => depth,
    };
    if let Some(depth) = max_depth {
        body["max_depth"] = json!(depth);
    }
    if let Some(budget) = args.budget {
        body["crawl_budget"] = json!(budget);
    }
    if let Some(include) = &args.include {
        body["url_regexp_include"] = json!(include);
    }
    if let Some(exclude) = &args.exclude {
        body["url_regexp_exclude"] = json!(exclude);
    }
    if let Some(webhook) = &args.webhook {
        body["callback"] = json!({ "type": "webhook", "url": webhook });
        if let Some(secret) = &args.webhook_secret {
            body["callback"]["secret"] = json!(secret);
        }
    }
    body
}

/// Follows a running job: writes its page events as they come and keeps the progress
/// display current until the summary arrives.
struct Follower<'a> {
    coordinator: &'a LocalCoordinator,
    job: JobId,
    progress: &'a Progress,
    output: &'a mut Output,
    interrupts: &'a mut Interrupts,
    /// The webhook ids of the pages written, to count their deliveries at the end.
    page_event_ids: Vec<String>,
}

impl Follower<'_> {
    /// Runs until the summary. The first Ctrl-C cancels the job gracefully; the second
    /// quits at once. A reader that closes the output (`| head`) cancels the job too.
    async fn follow(
        &mut self,
        events: &mut mpsc::UnboundedReceiver<WebhookEvent>,
    ) -> anyhow::Result<SummaryEvent> {
        let mut ticker = tokio::time::interval(Duration::from_millis(250));
        let mut cancel_requested = false;
        let mut interrupted = false;
        loop {
            tokio::select! {
                event = events.recv() => {
                    let event = event.context("the crawl stopped without a summary")?;
                    if event.job_id() != self.job {
                        continue;
                    }
                    match event {
                        WebhookEvent::Page(_) => {
                            self.page_event_ids.push(event_id_for(&event));
                            self.output.write_event(&event)?;
                            if self.output.is_closed() && !cancel_requested {
                                cancel_requested = true;
                                self.progress.println("the output was closed: cancelling the crawl");
                                self.coordinator.cancel(self.job).await?;
                            }
                        }
                        WebhookEvent::Summary(summary) => {
                            self.output.write_event(&WebhookEvent::Summary(summary.clone()))?;
                            return Ok(summary);
                        }
                        WebhookEvent::Started(_) => {}
                    }
                }
                _ = ticker.tick() => self.show_progress().await,
                () = self.interrupts.recv() => {
                    if interrupted {
                        anyhow::bail!("interrupted twice; quitting without waiting for the summary");
                    }
                    interrupted = true;
                    self.progress.println("cancelling: pages in flight finish, nothing new is fetched (Ctrl-C again to quit)");
                    if !cancel_requested {
                        cancel_requested = true;
                        self.coordinator.cancel(self.job).await?;
                    }
                }
            }
        }
    }

    async fn show_progress(&self) {
        // A status that cannot be read leaves the display as it was; the crawl goes on.
        if let Ok(Some(status)) = self.coordinator.status(self.job).await {
            self.progress.update(&ProgressView {
                completed: status.completed,
                failed: status.failed,
                pending: status.pending,
                cost: status.job_cost,
                budget: status.crawl_budget,
            });
        }
    }
}
