//! Turns a [`CrawlRequest`] into a [`JobSpec`], or into the 400/403 that names the field at
//! fault. Pure: nothing here touches the network, the queue or the job store, so a refused
//! job leaves no trace and every rule is unit-tested without services. (The one check that
//! needs DNS, the private-network rule, runs afterwards in [`crate::guard`].)

pub(crate) mod api_params;
pub(crate) mod callback;
mod delivery;
pub mod endpoint;
pub(crate) mod fields;
pub mod schedule;
pub mod strict;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;

use crawler_config::{Plan, Settings};
use crawler_core::{JobKind, JobSpec, Scope};
use serde_json::Value;

pub use callback::generate_secret;
pub use fields::REGEX_SIZE_LIMIT;

use crate::error::ApiError;
use crate::request::CrawlRequest;

/// Longest timeout a job may ask for: 30 days.
pub const MAX_TIMEOUT_SEC: u64 = 30 * 24 * 3600;
/// Longest `name` or `custom_id` a job may have.
pub const MAX_NAME_CHARS: usize = 256;
/// Deepest crawl a free plan may ask for.
pub const FREE_PLAN_MAX_DEPTH: u64 = 1;

/// The limits validation applies, taken from the settings once.
#[derive(Debug, Clone)]
pub struct Rules {
    pub max_depth_limit: u32,
    pub max_budget_limit: u64,
    pub cost_per_page: u64,
    pub max_regex_len: usize,
    pub default_timeout_sec: u64,
    /// Lower-case country codes with an outbound proxy.
    pub proxy_countries: BTreeSet<String>,
}

impl Rules {
    pub fn from_settings(settings: &Settings) -> Self {
        Rules {
            max_depth_limit: settings.max_depth_limit,
            max_budget_limit: settings.max_budget_limit,
            cost_per_page: settings.cost_per_page,
            max_regex_len: settings.max_regex_len,
            default_timeout_sec: settings.job_timeout_sec,
            // Settings::load already refused a malformed proxy list.
            proxy_countries: settings
                .proxy_map()
                .unwrap_or_default()
                .into_keys()
                .collect(),
        }
    }
}

/// Validates a whole request for a caller on `plan`. A `schedule` is refused here: the
/// routes that take one validate it with [`schedule::job_and_schedule`].
pub fn job_spec(request: &CrawlRequest, rules: &Rules, plan: Plan) -> Result<JobSpec, ApiError> {
    if request.schedule.is_some() {
        return Err(match plan {
            Plan::Free => ApiError::forbidden("schedule", "the free plan cannot schedule crawls"),
            Plan::Paid => ApiError::bad_request(
                "schedule",
                "schedule is accepted by POST /v1/crawls (and POST /job) only",
            ),
        });
    }

    let start_url = start_url(request.start_url.as_ref())?;
    let (include, exclude) = url_regexes(request, rules)?;
    let (max_depth, crawl_budget) = depth_and_budget(request, rules, plan)?;
    let api_params = match &request.api_params {
        Some(v) => api_params::api_params(v, &rules.proxy_countries)?,
        None => api_params::api_params(&Value::Object(Default::default()), &rules.proxy_countries)?,
    };
    let callback = match (&request.callback, &request.webhook) {
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_request(
                "webhook",
                "give either callback or webhook (HasData's form of it), not both",
            ))
        }
        (Some(v), None) => Some(callback::callback(v, crawler_core::job::STANDARD_PROFILE)?),
        (None, Some(v)) => Some(callback::webhook(v)?),
        (None, None) => None,
    };
    let webhook_name = webhook_name(request, callback.is_some())?;
    let flag = |field: &str, value: &Option<Value>, default: bool| {
        value
            .as_ref()
            .map_or(Ok(default), |v| fields::flag(field, v))
    };

    Ok(JobSpec {
        kind: JobKind::Crawl,
        start_url,
        urls: Vec::new(),
        url_regexp_include: include,
        url_regexp_exclude: exclude,
        max_depth,
        crawl_budget,
        api_params,
        callback,
        webhook_name,
        // The caller's tenant is the submitter's to set (`handlers::submit`).
        tenant: Default::default(),
        meta: request.meta.clone().unwrap_or(Value::Null),
        timeout_sec: timeout_sec(request, rules)?,
        scope: scope(request)?,
        follow_nofollow: flag("follow_nofollow", &request.follow_nofollow, false)?,
        ignore_query_parameters: flag(
            "ignore_query_parameters",
            &request.ignore_query_parameters,
            false,
        )?,
        max_pages_per_host: max_pages_per_host(request)?,
        respect_robots_txt: flag("respect_robots_txt", &request.respect_robots_txt, true)?,
        name: delivery::short_text("name", request.name.as_ref(), MAX_NAME_CHARS)?,
        custom_id: delivery::short_text("custom_id", request.custom_id.as_ref(), MAX_NAME_CHARS)?,
        async_job: None,
    })
}

/// `webhook_name`, a stored endpoint of the caller's tenant, instead of a `callback`.
/// Whether the tenant has one of that name is checked by the submitter, which can reach
/// the endpoint store.
fn webhook_name(request: &CrawlRequest, has_callback: bool) -> Result<Option<String>, ApiError> {
    let Some(value) = &request.webhook_name else {
        return Ok(None);
    };
    if has_callback {
        return Err(ApiError::bad_request(
            "webhook_name",
            "give either callback or webhook_name, not both",
        ));
    }
    endpoint::endpoint_name("webhook_name", value).map(Some)
}

/// `url_regexp_include` (everything when absent) and `url_regexp_exclude`, compiled once
/// to prove they are valid and bounded.
fn url_regexes(
    request: &CrawlRequest,
    rules: &Rules,
) -> Result<(String, Option<String>), ApiError> {
    let include = match &request.url_regexp_include {
        Some(v) => fields::regex("url_regexp_include", v, rules.max_regex_len)?
            .as_str()
            .to_string(),
        None => ".*".to_string(),
    };
    let exclude = match &request.url_regexp_exclude {
        Some(v) => Some(
            fields::regex("url_regexp_exclude", v, rules.max_regex_len)?
                .as_str()
                .to_string(),
        ),
        None => None,
    };
    Ok((include, exclude))
}

fn timeout_sec(request: &CrawlRequest, rules: &Rules) -> Result<u64, ApiError> {
    let Some(v) = &request.timeout_sec else {
        return Ok(rules.default_timeout_sec);
    };
    let secs = fields::count("timeout_sec", v, MAX_TIMEOUT_SEC)?;
    if secs == 0 {
        return Err(ApiError::bad_request(
            "timeout_sec",
            "timeout_sec must be at least 1",
        ));
    }
    Ok(secs)
}

fn scope(request: &CrawlRequest) -> Result<Scope, ApiError> {
    Ok(match &request.scope {
        Some(v) => match fields::one_of("scope", v, &["host", "domain", "any"])? {
            "domain" => Scope::Domain,
            "any" => Scope::Any,
            _ => Scope::Host,
        },
        None => Scope::Host,
    })
}

fn max_pages_per_host(request: &CrawlRequest) -> Result<Option<u64>, ApiError> {
    let Some(v) = &request.max_pages_per_host else {
        return Ok(None);
    };
    let n = fields::count("max_pages_per_host", v, u64::MAX)?;
    if n == 0 {
        return Err(ApiError::bad_request(
            "max_pages_per_host",
            "max_pages_per_host must be at least 1",
        ));
    }
    Ok(Some(n))
}

/// The start URL, absolute http(s), normalised the way every crawled URL is.
fn start_url(value: Option<&Value>) -> Result<String, ApiError> {
    let field = "start_url";
    let value = value.ok_or_else(|| ApiError::bad_request(field, "start_url is required"))?;
    let text = fields::string(field, value)?;
    crawler_core::urlnorm::normalize(text)
        .map(|url| url.to_string())
        .map_err(|e| ApiError::bad_request(field, format!("start_url: {e}")))
}

fn depth_and_budget(
    request: &CrawlRequest,
    rules: &Rules,
    plan: Plan,
) -> Result<(Option<u32>, Option<u64>), ApiError> {
    let max_depth = request
        .max_depth
        .as_ref()
        .map(|v| fields::count("max_depth", v, u64::from(rules.max_depth_limit)))
        .transpose()?;
    let crawl_budget = request
        .crawl_budget
        .as_ref()
        .map(|v| fields::count("crawl_budget", v, rules.max_budget_limit))
        .transpose()?;
    if max_depth.is_none() && crawl_budget.is_none() {
        return Err(ApiError::bad_request(
            "max_depth",
            "at least one of max_depth and crawl_budget is required",
        ));
    }
    if plan == Plan::Free && max_depth.is_some_and(|d| d > FREE_PLAN_MAX_DEPTH) {
        return Err(ApiError::forbidden(
            "max_depth",
            format!("the free plan allows max_depth up to {FREE_PLAN_MAX_DEPTH}"),
        ));
    }
    if let Some(budget) = crawl_budget {
        if budget < rules.cost_per_page {
            return Err(ApiError::bad_request(
                "crawl_budget",
                format!(
                    "crawl_budget {budget} is less than the cost of one page ({}): \
                     the job would fail to start",
                    rules.cost_per_page
                ),
            ));
        }
    }
    // The limit check above bounds max_depth by a u32, so the conversion cannot fail.
    let max_depth = max_depth.map(|d| u32::try_from(d).unwrap_or(u32::MAX));
    Ok((max_depth, crawl_budget))
}
