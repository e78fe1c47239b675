//! The command line: the site to serve, the configurations to run, and the crawler
//! settings every run shares.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use crawler_testkit::cluster::Binaries;

#[derive(Parser, Debug, Clone)]
// A later flag overrides an earlier one, so `scripts/bench-crawl --pages 2000` can
// override the script's own `--pages 10000`.
#[command(
    version,
    args_override_self = true,
    about = "Crawls a generated site on loopback with the distributed roles (1, 2, ... fetcher \
             workers over RabbitMQ and Redis) and with `crawler crawl`, and prints pages per \
             second and the peak memory of every process."
)]
pub struct Args {
    /// HTML pages of the generated site, besides its root page.
    #[arg(long, default_value_t = 10_000)]
    pub pages: usize,
    /// Bytes of paragraph text on every page, so fetching, parsing and webhook bodies cost
    /// roughly what a real page costs.
    #[arg(long, default_value_t = 16 * 1024)]
    pub page_bytes: usize,
    /// Fetcher worker counts to run the distributed deployment with, in this order. The
    /// first run is the baseline of every ratio.
    #[arg(long, value_delimiter = ',', default_value = "1,2", action = clap::ArgAction::Set)]
    pub workers: Vec<usize>,
    /// The jobs' `max_depth`. The default is far deeper than the site (about 14 levels for
    /// 10,000 pages), so every page is crawled even when it is first reached through a
    /// longer path than its shortest one; it is never below the site's depth.
    #[arg(long, default_value_t = 100)]
    pub max_depth: u32,
    /// Rounds of every configuration, run interleaved; the report shows each
    /// configuration's median round.
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    /// Skip the embedded run (`crawler crawl`).
    #[arg(long)]
    pub no_embedded: bool,
    /// Worker loops of the embedded run (`crawler crawl --workers`).
    #[arg(long, default_value_t = 2)]
    pub embedded_workers: usize,
    /// Fetches in flight per worker (CRAWLER_WORKER_CONCURRENCY); the crawler's default
    /// when omitted.
    #[arg(long)]
    pub concurrency: Option<u32>,
    /// Unacknowledged tasks per worker (CRAWLER_PREFETCH); the crawler's default when
    /// omitted.
    #[arg(long)]
    pub prefetch: Option<u32>,
    /// Fetches in flight for one host across all workers
    /// (CRAWLER_MAX_CONCURRENCY_PER_HOST). The site is a single host, so the crawler's
    /// polite default would measure the politeness cap rather than the crawler.
    #[arg(long, default_value_t = 64)]
    pub per_host: u32,
    /// Any other crawler setting as KEY=VALUE (e.g. CRAWLER_FETCH_MAX_ATTEMPTS=1);
    /// repeatable. Applies to every run.
    #[arg(long = "set", value_parser = parse_setting)]
    pub settings: Vec<(String, String)>,
    /// Where the `coordinator`, `fetcher-worker`, `webhook-dispatcher` and `crawler`
    /// binaries are.
    #[arg(long, default_value = "target/release")]
    pub bin_dir: PathBuf,
    /// Give up on a run that has not finished after this many seconds.
    #[arg(long, default_value_t = 120)]
    pub timeout_secs: u64,
    /// How often to sample each process's memory and CPU time, in milliseconds.
    #[arg(long, default_value_t = 100)]
    pub sample_ms: u64,
}

impl Args {
    /// The `CRAWLER_*` settings every process of every run gets.
    pub fn crawler_settings(&self) -> Vec<(String, String)> {
        let mut settings = vec![(
            "CRAWLER_MAX_CONCURRENCY_PER_HOST".to_string(),
            self.per_host.to_string(),
        )];
        if let Some(concurrency) = self.concurrency {
            settings.push(("CRAWLER_WORKER_CONCURRENCY".into(), concurrency.to_string()));
        }
        if let Some(prefetch) = self.prefetch {
            settings.push(("CRAWLER_PREFETCH".into(), prefetch.to_string()));
        }
        settings.extend(self.settings.iter().cloned());
        settings
    }

    pub fn binary(&self, name: &str) -> PathBuf {
        self.bin_dir.join(name)
    }

    /// The crawler's binaries in `bin_dir`.
    pub fn binaries(&self) -> Binaries {
        Binaries {
            coordinator: self.binary("coordinator"),
            fetcher_worker: self.binary("fetcher-worker"),
            webhook_dispatcher: self.binary("webhook-dispatcher"),
            scheduler: self.binary("scheduler"),
            crawler: self.binary("crawler"),
        }
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs)
    }

    pub fn sample_interval(&self) -> Duration {
        Duration::from_millis(self.sample_ms.max(10))
    }
}

fn parse_setting(text: &str) -> Result<(String, String), String> {
    let (key, value) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}` is not KEY=VALUE"))?;
    if !key.starts_with("CRAWLER_") {
        return Err(format!("`{key}` is not a CRAWLER_* setting"));
    }
    Ok((key.to_string(), value.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_become_crawler_settings() {
        let args = Args::parse_from([
            "crawler-bench",
            "--concurrency",
            "32",
            "--set",
            "CRAWLER_FETCH_MAX_ATTEMPTS=1",
        ]);
        assert_eq!(args.workers, vec![1, 2]);
        let overridden = Args::parse_from(["crawler-bench", "--workers", "1,2", "--workers", "3"]);
        assert_eq!(overridden.workers, vec![3]);
        let settings = args.crawler_settings();
        assert!(settings.contains(&("CRAWLER_WORKER_CONCURRENCY".into(), "32".into())));
        assert!(settings.contains(&("CRAWLER_FETCH_MAX_ATTEMPTS".into(), "1".into())));
        assert!(!settings.iter().any(|(k, _)| k == "CRAWLER_PREFETCH"));
        assert!(Args::try_parse_from(["crawler-bench", "--set", "RUST_LOG=debug"]).is_err());
    }
}
