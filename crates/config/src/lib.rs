//! Configuration in layers: the commented defaults file compiled into every binary, then an
//! optional TOML file, then `CRAWLER_*` environment variables. Validated once at start-up
//! and shared read-only.

mod durations;
mod key_checks;
mod keys;
mod logging;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use figment::providers::{Env, Format, Toml};
use figment::Figment;
use serde::Deserialize;

pub use durations::parse_duration_list;
pub use keys::{digest_entry, key_digest, ApiKey, ApiKeys, Plan, DIGEST_PREFIX};
pub use logging::{init_tracing, init_tracing_with};

/// The defaults, with a comment on every key; also the source of docs/configuration.md.
pub const DEFAULTS_TOML: &str = include_str!("../config.default.toml");

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    // No `#[source]`: the message already holds figment's, and a chain would repeat it.
    #[error("configuration: {0}")]
    Load(Box<figment::Error>),
    #[error("configuration key `{key}`: {message}")]
    Invalid { key: &'static str, message: String },
}

impl From<Box<figment::Error>> for ConfigError {
    fn from(error: Box<figment::Error>) -> Self {
        ConfigError::Load(error)
    }
}

fn invalid(key: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key,
        message: message.into(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// Every setting, as read from the layers. See `config.default.toml` for what each does.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub amqp_url: String,
    pub redis_url: String,
    pub namespace: String,
    pub http_addr: SocketAddr,
    #[serde(deserialize_with = "keys::deserialize")]
    pub api_keys: ApiKeys,
    pub api_key_pepper: String,
    pub demo: bool,
    pub allow_private_networks: bool,
    pub log_format: LogFormat,
    pub public_url: String,
    pub metrics_addr: String,

    pub job_timeout_sec: u64,
    pub job_retention_sec: u64,
    pub max_depth_limit: u32,
    pub max_budget_limit: u64,
    pub cost_per_page: u64,
    pub max_regex_len: usize,

    pub async_timeout_sec: u64,
    pub async_result_retention_sec: u64,
    pub async_callback_attempts: u32,
    pub batch_max_urls: usize,
    pub async_max_body_bytes: usize,

    pub prefetch: u16,
    pub worker_concurrency: usize,
    pub fetch_connect_timeout_ms: u64,
    pub fetch_read_timeout_ms: u64,
    pub fetch_total_timeout_ms: u64,
    pub fetch_max_body_bytes: u64,
    pub fetch_max_attempts: u32,
    pub fetch_retry_backoff_ms: u64,
    pub fetch_max_redirects: usize,
    pub user_agent: String,
    pub max_url_len: usize,

    pub max_concurrency_per_host: u32,
    pub delay_ms: u64,
    pub crawl_delay_cap_ms: u64,
    pub robots_cache_sec: u64,
    pub robots_unreachable_sec: u64,
    pub host_lease_ttl_ms: u64,
    pub throttle_backoff_ms: u64,
    pub proxies: String,

    pub webhook_timeout_ms: u64,
    pub webhook_retry_schedule: String,
    pub webhook_concurrency: usize,
    pub webhook_disable_after: u32,
    pub webhook_inline_body_limit: u64,
    pub webhook_max_in_flight_per_endpoint: usize,
    pub webhook_quick_retries: String,
    pub summary_hold_max: String,
    pub webhook_profile_timing_percent: u32,
    pub body_retention_sec: u64,

    pub scheduler_in_coordinator: bool,
    pub scheduler_tick_ms: u64,
    pub scheduler_lease_ms: u64,
}

impl Settings {
    /// Reads the defaults, then `file` if given, then the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        Self::from_figment(Self::figment(file))
    }

    /// The layered sources, exposed so tests and the CLI can add their own on top.
    pub fn figment(file: Option<&Path>) -> Figment {
        Self::figment_over(Figment::from(Toml::string(DEFAULTS_TOML)), file)
    }

    /// The file and environment layers over `defaults`: for a program whose defaults
    /// differ from the compiled-in ones (`crawler crawl` allows private networks).
    pub fn figment_over(defaults: Figment, file: Option<&Path>) -> Figment {
        let mut figment = defaults;
        if let Some(path) = file {
            figment = figment.merge(Toml::file_exact(path));
        }
        figment.merge(Env::prefixed("CRAWLER_").ignore(&["config", "api_url", "api_key"]))
    }

    pub fn from_figment(figment: Figment) -> Result<Self, ConfigError> {
        let mut settings: Settings = figment.extract().map_err(Box::new)?;
        settings.validate()?;
        settings.check_keys()?;
        let pepper = settings.api_key_pepper.clone();
        settings.api_keys.seal(&pepper);
        Ok(settings)
    }

    /// The defaults alone, ignoring the environment: for tests and embedded use.
    pub fn defaults() -> Self {
        Self::from_figment(Figment::from(Toml::string(DEFAULTS_TOML)))
            .expect("the compiled-in defaults are valid")
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let ns_ok = !self.namespace.is_empty()
            && self
                .namespace
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !ns_ok {
            return Err(invalid(
                "namespace",
                "must be non-empty and use only letters, digits, '-', '_' and '.'",
            ));
        }
        if self.batch_max_urls == 0 || self.batch_max_urls > 0xFFFF {
            return Err(invalid("batch_max_urls", "must be between 1 and 65535"));
        }
        if self.async_callback_attempts == 0 {
            return Err(invalid("async_callback_attempts", "must be at least 1"));
        }
        if self.prefetch == 0 {
            return Err(invalid("prefetch", "must be at least 1"));
        }
        if self.worker_concurrency == 0 {
            return Err(invalid("worker_concurrency", "must be at least 1"));
        }
        if self.webhook_concurrency == 0 {
            return Err(invalid("webhook_concurrency", "must be at least 1"));
        }
        if self.webhook_max_in_flight_per_endpoint == 0 {
            return Err(invalid(
                "webhook_max_in_flight_per_endpoint",
                "must be at least 1",
            ));
        }
        if self.webhook_profile_timing_percent == 0 {
            return Err(invalid(
                "webhook_profile_timing_percent",
                "must be at least 1",
            ));
        }
        if self.fetch_max_attempts == 0 {
            return Err(invalid("fetch_max_attempts", "must be at least 1"));
        }
        if self.max_concurrency_per_host == 0 {
            return Err(invalid("max_concurrency_per_host", "must be at least 1"));
        }
        if self.host_lease_ttl_ms <= self.fetch_total_timeout_ms {
            return Err(invalid(
                "host_lease_ttl_ms",
                "must be longer than fetch_total_timeout_ms, or a slow fetch loses its slot",
            ));
        }
        if !self.metrics_addr.is_empty() && self.metrics_addr.parse::<SocketAddr>().is_err() {
            return Err(invalid(
                "metrics_addr",
                "must be empty or an address such as 127.0.0.1:9100",
            ));
        }
        if self.scheduler_tick_ms == 0 {
            return Err(invalid("scheduler_tick_ms", "must be at least 1"));
        }
        if self.scheduler_lease_ms <= self.scheduler_tick_ms {
            return Err(invalid(
                "scheduler_lease_ms",
                "must be longer than scheduler_tick_ms, or the lease lapses between ticks",
            ));
        }
        self.retry_schedule()?;
        self.quick_retries()?;
        self.summary_hold_max()?;
        self.proxy_map()?;
        Ok(())
    }

    /// The webhook retry delays, in order.
    pub fn retry_schedule(&self) -> Result<Vec<Duration>, ConfigError> {
        parse_duration_list(&self.webhook_retry_schedule)
            .map_err(|m| invalid("webhook_retry_schedule", m))
    }

    /// The quick retries of a refused or reset connection, before the retry schedule.
    pub fn quick_retries(&self) -> Result<Vec<Duration>, ConfigError> {
        parse_duration_list(&self.webhook_quick_retries)
            .map_err(|m| invalid("webhook_quick_retries", m))
    }

    /// The longest a job's summary waits for its page events to be settled.
    pub fn summary_hold_max(&self) -> Result<Duration, ConfigError> {
        match parse_duration_list(&self.summary_hold_max)
            .map_err(|m| invalid("summary_hold_max", m))?
            .as_slice()
        {
            [one] => Ok(*one),
            _ => Err(invalid(
                "summary_hold_max",
                "must be one duration, such as `10m`",
            )),
        }
    }

    /// Country code (lower case) to proxy URL.
    pub fn proxy_map(&self) -> Result<BTreeMap<String, String>, ConfigError> {
        let mut map = BTreeMap::new();
        for entry in self
            .proxies
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            let (country, proxy) = entry.split_once('=').ok_or_else(|| {
                // The entry may be a bare proxy URL, password and all.
                let shown = crawler_core::redact::redacted_url(entry);
                invalid("proxies", format!("`{shown}` is not country=url"))
            })?;
            map.insert(
                country.trim().to_ascii_lowercase(),
                proxy.trim().to_string(),
            );
        }
        Ok(map)
    }

    /// The base of URLs the coordinator hands out.
    pub fn public_base_url(&self, bound: SocketAddr) -> String {
        if self.public_url.is_empty() {
            format!("http://{bound}")
        } else {
            self.public_url.trim_end_matches('/').to_string()
        }
    }
}

#[cfg(test)]
// figment's `Jail` closures must return its own (large) error type.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;

    #[test]
    fn defaults_load_and_env_overrides_them() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("CRAWLER_NAMESPACE", "test-ns");
            jail.set_env("CRAWLER_API_KEYS", "abc,def:free");
            jail.set_env("CRAWLER_ALLOW_PRIVATE_NETWORKS", "true");
            jail.set_env("CRAWLER_HTTP_ADDR", "127.0.0.1:0");
            let s = Settings::load(None).expect("loads");
            assert_eq!(s.namespace, "test-ns");
            assert!(s.allow_private_networks);
            assert_eq!(s.amqp_url, "amqp://127.0.0.1:5672/%2f");
            let pepper = s.api_key_pepper.as_str();
            assert_eq!(
                s.api_keys.lookup("def", pepper).map(|k| k.plan),
                Some(Plan::Free)
            );
            assert_eq!(
                s.api_keys.lookup("abc", pepper).map(|k| k.plan),
                Some(Plan::Paid)
            );
            assert!(s.api_keys.lookup("nope", pepper).is_none());
            Ok(())
        });
    }

    #[test]
    fn file_sits_between_defaults_and_env() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("c.toml", "namespace = \"from-file\"\nprefetch = 7\n")?;
            jail.set_env("CRAWLER_PREFETCH", "9");
            let s = Settings::load(Some(Path::new("c.toml"))).expect("loads");
            assert_eq!(s.namespace, "from-file");
            assert_eq!(s.prefetch, 9);
            Ok(())
        });
    }

    #[test]
    fn bad_values_name_the_key() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("CRAWLER_NAMESPACE", "has space");
            let err = Settings::load(None).unwrap_err().to_string();
            assert!(err.contains("namespace"), "{err}");
            jail.set_env("CRAWLER_NAMESPACE", "ok");
            jail.set_env("CRAWLER_API_KEYS", "k:gold");
            let err = Settings::load(None).unwrap_err().to_string();
            assert!(err.contains("gold"), "{err}");
            Ok(())
        });
    }
}

#[cfg(test)]
mod docs_tests {
    /// docs/configuration.md is generated from the defaults file by scripts/gen-config-docs;
    /// this catches a setting added without regenerating it.
    #[test]
    fn docs_list_every_setting() {
        let docs = include_str!("../../../docs/configuration.md");
        for line in super::DEFAULTS_TOML.lines() {
            if let Some((key, _)) = line.split_once(" = ") {
                if !line.starts_with('#') {
                    let variable = format!("`CRAWLER_{}`", key.trim().to_uppercase());
                    assert!(
                        docs.contains(&variable),
                        "{variable} is missing from docs/configuration.md; run scripts/gen-config-docs"
                    );
                }
            }
        }
    }
}
