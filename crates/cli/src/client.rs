//! `crawler submit|status|watch|cancel|jobs`: a client for any coordinator, local or
//! remote, over its public HTTP API.
//!
//! Errors are [`ClientError`]s whose text is the whole message a user needs; `run` hands
//! them up inside `anyhow::Error`, and `main` prints `error: {err}` (plain `Display`, not
//! `{err:?}`, which would add a cause chain the line already summarises) and exits 1.

mod api;
mod error;
mod job_body;
mod render;
#[cfg(test)]
mod tests;
mod watch;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};

pub use api::{ApiClient, JobList, Submitted};
pub use error::ClientError;
pub use watch::{exit_status, POLL_INTERVAL};

use crate::progress::{Progress, SummaryBlock};

/// Where the coordinator is and how to authenticate to it.
#[derive(Debug, Clone, Args)]
pub struct ApiArgs {
    /// The coordinator's base URL.
    #[arg(
        long = "api",
        env = "CRAWLER_API_URL",
        default_value = "http://127.0.0.1:8080",
        value_name = "URL"
    )]
    pub api: String,
    /// API key, sent in the x-api-key header.
    #[arg(
        long = "api-key",
        env = "CRAWLER_API_KEY",
        hide_env_values = true,
        value_name = "KEY"
    )]
    pub api_key: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct SubmitArgs {
    /// The start URL (may come from --json-file instead).
    #[arg(value_name = "URL")]
    pub url: Option<String>,
    /// Deepest link level to follow; the start URL is depth 0.
    #[arg(long, value_name = "N")]
    pub max_depth: Option<u32>,
    /// Most credits the job may spend (one per page by default).
    #[arg(long, value_name = "N")]
    pub budget: Option<u64>,
    /// Only follow URLs matching this regex.
    #[arg(long, value_name = "REGEX")]
    pub include: Option<String>,
    /// Never follow URLs matching this regex.
    #[arg(long, value_name = "REGEX")]
    pub exclude: Option<String>,
    /// Deliver webhooks to this URL.
    #[arg(long, value_name = "URL")]
    pub webhook: Option<String>,
    /// Sign webhooks with this Standard Webhooks secret (generated when absent).
    #[arg(long, value_name = "whsec_...")]
    pub webhook_secret: Option<String>,
    /// Webhook events to send, comma-separated (crawl.started, crawl.page, crawl.finished).
    #[arg(long, value_name = "EVENTS", value_delimiter = ',')]
    pub events: Vec<String>,
    /// JSON echoed in every webhook and in the status.
    #[arg(long, value_name = "JSON")]
    pub meta: Option<String>,
    /// A full job body as JSON; the flags above override its fields.
    #[arg(long, value_name = "FILE")]
    pub json_file: Option<PathBuf>,
    /// Keep watching the job's progress after submitting it.
    #[arg(long)]
    pub watch: bool,
    #[command(flatten)]
    pub api: ApiArgs,
}

#[derive(Debug, Clone, Subcommand)]
pub enum ClientCommand {
    /// Submit a crawl job to a coordinator.
    Submit(SubmitArgs),
    /// Show a job's status.
    Status {
        /// The job id.
        job: String,
        /// Print the status document as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        api: ApiArgs,
    },
    /// Follow a job's progress until it ends (exit 0 finished, 3 cancelled or failed).
    Watch {
        /// The job id.
        job: String,
        #[command(flatten)]
        api: ApiArgs,
    },
    /// Cancel a job: pages in flight finish, nothing new is fetched.
    Cancel {
        /// The job id.
        job: String,
        #[command(flatten)]
        api: ApiArgs,
    },
    /// List your jobs, newest first.
    Jobs {
        /// Jobs per page.
        #[arg(long, default_value_t = 20, value_name = "N")]
        limit: u64,
        /// Jobs to skip.
        #[arg(long, default_value_t = 0, value_name = "N")]
        offset: u64,
        #[command(flatten)]
        api: ApiArgs,
    },
}

/// Runs one client command, printing to stdout (progress goes to stderr).
pub async fn run(cmd: ClientCommand) -> anyhow::Result<ExitCode> {
    let mut stdout = std::io::stdout();
    let code = execute(cmd, &mut stdout, POLL_INTERVAL).await?;
    Ok(ExitCode::from(code))
}

/// `run` with the output and the poll interval as parameters, for tests.
async fn execute(
    cmd: ClientCommand,
    out: &mut dyn Write,
    poll: Duration,
) -> Result<u8, ClientError> {
    match cmd {
        ClientCommand::Submit(args) => submit(&args, out, poll).await,
        ClientCommand::Status { job, json, api } => {
            let client = connect(&api)?;
            if json {
                let status = client.status_json(&job).await?;
                let text = serde_json::to_string_pretty(&status).unwrap_or_default();
                print(out, &format!("{text}\n"));
            } else {
                print(out, &render::status_block(&client.status(&job).await?));
            }
            Ok(0)
        }
        ClientCommand::Watch { job, api } => watch_job(&connect(&api)?, &job, poll).await,
        ClientCommand::Cancel { job, api } => {
            let status = connect(&api)?.cancel(&job).await?;
            print(out, &render::status_block(&status));
            Ok(0)
        }
        ClientCommand::Jobs { limit, offset, api } => {
            let list = connect(&api)?.list(limit, offset).await?;
            print(out, &render::job_table(&list));
            Ok(0)
        }
    }
}

fn connect(api: &ApiArgs) -> Result<ApiClient, ClientError> {
    ApiClient::new(&api.api, api.api_key.clone())
}

async fn submit(args: &SubmitArgs, out: &mut dyn Write, poll: Duration) -> Result<u8, ClientError> {
    let body = job_body::build(args)?;
    let client = connect(&args.api)?;
    let answer = client
        .submit(&body)
        .await
        .map_err(|error| name_the_flag(error, args))?;
    print(out, &render::submitted(&answer));
    if args.watch {
        return watch_job(&client, &answer.status.job_id.to_string(), poll).await;
    }
    Ok(0)
}

/// A refused field the user set with a flag is named by that flag (`--include`), the way
/// they typed it; a field from `--json-file` keeps the API's name.
fn name_the_flag(error: ClientError, args: &SubmitArgs) -> ClientError {
    let ClientError::Refused {
        field: Some(field),
        message,
    } = error
    else {
        return error;
    };
    let flag = match field.as_str() {
        "start_url" if args.url.is_some() => Some("URL"),
        "max_depth" if args.max_depth.is_some() => Some("--max-depth"),
        "crawl_budget" if args.budget.is_some() => Some("--budget"),
        "url_regexp_include" if args.include.is_some() => Some("--include"),
        "url_regexp_exclude" if args.exclude.is_some() => Some("--exclude"),
        "callback.url" if args.webhook.is_some() => Some("--webhook"),
        "callback.secret" if args.webhook_secret.is_some() => Some("--webhook-secret"),
        "callback.events" if !args.events.is_empty() => Some("--events"),
        "meta" if args.meta.is_some() => Some("--meta"),
        _ => None,
    };
    match flag {
        Some(flag) => ClientError::Input(crate::refusal::refusal_line(&field, flag, &message)),
        None => ClientError::Refused {
            field: Some(field),
            message,
        },
    }
}

async fn watch_job(client: &ApiClient, job: &str, poll: Duration) -> Result<u8, ClientError> {
    let progress = Progress::new(job);
    let status = watch::watch(client, job, &progress, poll).await?;
    progress.finish_with_block(&SummaryBlock::from_status(&status));
    Ok(exit_status(status.job_state))
}

/// Writes to the output, ignoring a closed pipe (`crawler jobs | head`).
fn print(out: &mut dyn Write, text: &str) {
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}
