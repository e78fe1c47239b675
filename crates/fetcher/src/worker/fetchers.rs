//! The HTTP clients a worker fetches with: one direct, and one per configured country
//! proxy (`CRAWLER_PROXIES`, chosen by a job's `api_params.country_code`).

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use crawler_config::Settings;
use crawler_core::{ApiParams, AsyncOptions};
use crawler_politeness::{RobotsFetcher, RobotsResponse};
use url::Url;

use super::fetch_config;
use crate::fetch::{FetchError, HttpFetcher, RequestOptions};

pub struct Fetchers {
    direct: HttpFetcher,
    by_country: HashMap<String, HttpFetcher>,
    mobile_user_agent: String,
}

impl Fetchers {
    pub fn new(config: &Settings) -> Result<Self, FetchError> {
        let direct = HttpFetcher::new(fetch_config(config))?;
        let mut by_country = HashMap::new();
        // Validated at start-up; an invalid map here would already have stopped the process.
        for (country, proxy) in config.proxy_map().unwrap_or_default() {
            let mut proxied = fetch_config(config);
            proxied.proxy = Some(proxy);
            by_country.insert(country, HttpFetcher::new(proxied)?);
        }
        Ok(Fetchers {
            direct,
            by_country,
            // Sites pick their mobile pages by these markers; our product token stays at
            // the end so robots.txt groups and site logs still recognise us.
            mobile_user_agent: format!(
                "Mozilla/5.0 (Linux; Android 14; Mobile) {}",
                config.user_agent
            ),
        })
    }

    /// The client for a job: through its country's proxy, if it asked for one. The
    /// coordinator refuses countries without a proxy, so a missing one falls back to direct.
    pub fn for_job(&self, params: &ApiParams) -> &HttpFetcher {
        params
            .country_code
            .as_ref()
            .and_then(|country| self.by_country.get(&country.to_ascii_lowercase()))
            .unwrap_or(&self.direct)
    }

    /// The request options a job's `api_params` ask for.
    pub fn options(&self, params: &ApiParams) -> RequestOptions {
        RequestOptions {
            follow_redirects: params.follow_redirect,
            headers: if params.keep_headers {
                params
                    .headers
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            } else {
                Vec::new()
            },
            user_agent: (params.device_type.as_deref() == Some("mobile"))
                .then(|| self.mobile_user_agent.clone()),
            request: None,
        }
    }

    /// The options of an async job's fetch: the job's fetch options plus its method and
    /// body. Validation allowed only `GET`, `POST` and `PUT`.
    pub fn async_options(&self, params: &ApiParams, job: &AsyncOptions) -> RequestOptions {
        let method = reqwest::Method::from_bytes(job.method.as_bytes()).unwrap_or_default();
        let request = (method != reqwest::Method::GET)
            .then(|| (method, job.body.clone().unwrap_or_default().into_bytes()));
        RequestOptions {
            request,
            ..self.options(params)
        }
    }
}

/// Fetches robots.txt for the politeness layer through a job's client, remembering why a
/// fetch got no answer so that a page of a site that is down fails with the network's
/// reason (`connection_refused`) rather than a robots.txt one.
pub struct RobotsVia<'a> {
    fetcher: &'a HttpFetcher,
    network_error: Mutex<Option<&'static str>>,
}

impl<'a> RobotsVia<'a> {
    pub fn new(fetcher: &'a HttpFetcher) -> Self {
        RobotsVia {
            fetcher,
            network_error: Mutex::new(None),
        }
    }

    /// The failReason of this fetcher's robots.txt request, if it got no answer.
    pub fn network_error(&self) -> Option<&'static str> {
        *self.network_error.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl RobotsFetcher for RobotsVia<'_> {
    async fn fetch_robots(&self, url: &Url) -> RobotsResponse {
        match self.fetcher.fetch(url, &RequestOptions::default()).await {
            Ok(page) => RobotsResponse::Status {
                code: page.status,
                body: page.body.to_vec(),
            },
            Err(e) => {
                tracing::debug!(%url, error = %e, "robots.txt unreachable");
                *self.network_error.lock().unwrap_or_else(|e| e.into_inner()) =
                    Some(e.fail_reason());
                RobotsResponse::Unreachable
            }
        }
    }
}
