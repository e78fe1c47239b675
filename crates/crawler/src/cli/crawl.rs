//! `crawler crawl URL`: a whole crawl in this process, on in-memory backends, with page
//! events written as JSON lines and a live progress display.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use crawler_core::{JobId, JobState, StopReason, SummaryEvent, WebhookEvent};
use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::local::LocalCoordinator;
use super::progress::{Progress, ProgressView};
use super::{demo, output::Output};
use crate::embedded::{Embedded, EmbeddedOptions};

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
    #[arg(long)]
    pub webhook: Option<String>,
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
    let mut output = Output::open(&args.output)?;

    let backends = crate::runtime::memory_services();
    let (tap, mut events) = mpsc::unbounded_channel();
    let options = EmbeddedOptions {
        workers: args.workers,
        dispatcher: args.webhook.is_some(),
        tap: Some(tap),
    };
    let roles = Embedded::start(config.clone(), backends.clone(), options);
    let coordinator = LocalCoordinator::start(config.clone(), &backends).await?;

    let job = coordinator.submit(&job_body(&args, &start_url)).await;
    let job = match job {
        Ok(job) => job,
        Err(e) => {
            roles.stop().await;
            return Err(e);
        }
    };
    let progress = Progress::new(&format!("crawling {start_url}"));
    let summary = follow(&coordinator, job, &mut events, &progress, &mut output).await?;
    progress.finish(&summary);
    output.flush()?;
    coordinator.stop().await;
    roles.stop().await;
    explain_failure(&summary, &start_url);
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
    }
    body
}

/// Writes page events as they come and keeps the progress display current until the
/// summary arrives. The first Ctrl-C cancels the job gracefully; the second quits at once.
async fn follow(
    coordinator: &LocalCoordinator,
    job: JobId,
    events: &mut mpsc::UnboundedReceiver<WebhookEvent>,
    progress: &Progress,
    output: &mut Output,
) -> anyhow::Result<SummaryEvent> {
    let mut ticker = tokio::time::interval(Duration::from_millis(250));
    let mut cancelled = false;
    loop {
        tokio::select! {
            event = events.recv() => {
                let event = event.context("the crawl stopped without a summary")?;
                if event.job_id() != job {
                    continue;
                }
                match event {
                    WebhookEvent::Page(_) => output.write_event(&event)?,
                    WebhookEvent::Finished(summary) => {
                        output.write_event(&WebhookEvent::Finished(summary.clone()))?;
                        return Ok(summary);
                    }
                    WebhookEvent::Started(_) => {}
                }
            }
            _ = ticker.tick() => {
                if let Ok(Some(status)) = coordinator.status(job).await {
                    progress.update(&ProgressView {
                        completed: status.completed,
                        failed: status.failed,
                        pending: status.pending,
                        cost: status.job_cost,
                        budget: status.crawl_budget,
                    });
                }
            }
            _ = tokio::signal::ctrl_c() => {
                if cancelled {
                    anyhow::bail!("interrupted twice; quitting without waiting for the summary");
                }
                cancelled = true;
                progress.println("cancelling: pages in flight finish, nothing new is fetched (Ctrl-C again to quit)");
                coordinator.cancel(job).await?;
            }
        }
    }
}

/// One clear line when nothing could be crawled, so a typo in the URL or a site that is
/// down does not look like an empty site.
fn explain_failure(summary: &SummaryEvent, start_url: &str) {
    if !summary.completed.is_empty() {
        return;
    }
    if let Some(failed) = summary
        .failed
        .iter()
        .find(|f| f.url.trim_end_matches('/') == start_url.trim_end_matches('/'))
    {
        let _ = writeln!(
            std::io::stderr(),
            "error: the start URL {} could not be crawled: {}",
            failed.url,
            failed.fail_reason
        );
    }
}
