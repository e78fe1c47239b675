//! The pieces `crawl` and `serve` share: settings for a local run, the in-memory backends,
//! and a coordinator running inside this process.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use crawler_config::Settings;
use crawler_coordinator::auth::AuthMode;
use crawler_coordinator::AppState;
use crawler_core::{JobId, JobStatus, StopReason};
use crawler_runtime::Services;
use figment::providers::{Format, Serialized, Toml};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

/// The settings of a local run: the defaults, except that loopback and private addresses
/// may be crawled (the user crawls from their own machine, often their own dev server),
/// then the config file, then CRAWLER_* variables.
pub fn settings(file: Option<&Path>) -> anyhow::Result<Settings> {
    let defaults = figment::Figment::from(Toml::string(crawler_config::DEFAULTS_TOML))
        .merge(Serialized::default("allow_private_networks", true));
    Ok(Settings::from_figment(Settings::figment_over(
        defaults, file,
    ))?)
}

/// A job the local coordinator accepted.
pub struct Submitted {
    pub job: JobId,
    /// The secret its webhooks are signed with, when it has a webhook.
    pub webhook_secret: Option<String>,
}

/// The coordinator's API served inside this process on a free loopback port, used by
/// `crawl` to submit its job through the very validation the HTTP API applies.
pub struct LocalCoordinator {
    addr: SocketAddr,
    state: Arc<dyn crawler_state::StateStore>,
    client: reqwest::Client,
    stop: CancellationToken,
    server: tokio::task::JoinHandle<()>,
}

impl LocalCoordinator {
    pub async fn start(config: Arc<Settings>, backends: &Services) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let app = AppState::new(
            config,
            backends.coordinator()?,
            AuthMode::Open {
                owner: "local".into(),
            },
            format!("http://{addr}"),
        );
        let stop = CancellationToken::new();
        let stopped = stop.clone().cancelled_owned();
        let server = tokio::spawn(async move {
            if let Err(e) = crawler_coordinator::serve(app, listener, stopped).await {
                tracing::error!(error = %e, "local coordinator failed");
            }
        });
        Ok(LocalCoordinator {
            addr,
            state: backends.state.clone(),
            // The coordinator is in this process, on loopback: a proxy from the
            // environment could only get in the way.
            client: reqwest::Client::builder()
                .no_proxy()
                .build()
                .context("cannot set up the HTTP client")?,
            stop,
            server,
        })
    }

    /// Submits a job; a refusal becomes one line naming the flag the user typed.
    pub async fn submit(&self, body: &Value) -> anyhow::Result<Submitted> {
        let response = self
            .client
            .post(format!("http://{}/v1/crawls", self.addr))
            .json(body)
            .send()
            .await
            .context("the local coordinator did not answer")?;
        let status = response.status();
        let answer: Value = response
            .json()
            .await
            .context("the local coordinator answered nonsense")?;
        if !status.is_success() {
            let field = answer["error"]["field"].as_str().unwrap_or("job");
            let message = answer["error"]["message"].as_str().unwrap_or("refused");
            anyhow::bail!(super::refusal::refusal_line(
                field,
                flag_name(field),
                message
            ));
        }
        let id = answer["jobId"].as_str().context("no jobId in the answer")?;
        Ok(Submitted {
            job: id.parse()?,
            webhook_secret: answer["webhookSecret"].as_str().map(str::to_string),
        })
    }

    pub async fn status(&self, job: JobId) -> anyhow::Result<Option<JobStatus>> {
        Ok(self.state.status(job).await?)
    }

    pub async fn cancel(&self, job: JobId) -> anyhow::Result<()> {
        Ok(self.state.request_stop(job, StopReason::Cancelled).await?)
    }

    pub async fn stop(self) {
        self.stop.cancel();
        let _ = self.server.await;
    }
}

/// Names a refused field the way the command line spells it.
fn flag_name(field: &str) -> &str {
    match field {
        "url_regexp_include" => "--include",
        "url_regexp_exclude" => "--exclude",
        "max_depth" => "--max-depth",
        "crawl_budget" => "--budget",
        "callback.url" => "--webhook",
        "callback.secret" => "--webhook-secret",
        "start_url" => "URL",
        other => other,
    }
}
