//! Which links of a page a job follows: whether its kind follows links at all, scope (host,
//! domain or any), the include and exclude regexes, depth, and URL length.

use crawler_core::{urlnorm, JobRecord, KindRules, Scope};
use regex::Regex;
use url::Url;

/// A job's record with its kind's rules looked up and its regexes compiled, cached by
/// workers between tasks.
#[derive(Debug)]
pub struct JobContext {
    pub record: JobRecord,
    rules: KindRules,
    include: Regex,
    exclude: Option<Regex>,
    start_host: String,
    start_port: Option<u16>,
    registrable_domain: String,
}

#[derive(Debug, thiserror::Error)]
#[error("job {job}: stored regex `{pattern}` does not compile: {source}")]
pub struct ScopeError {
    job: String,
    pattern: String,
    source: regex::Error,
}

impl JobContext {
    pub fn new(record: JobRecord) -> Result<Self, ScopeError> {
        let compile = |pattern: &str| {
            Regex::new(pattern).map_err(|source| ScopeError {
                job: record.job_id.to_string(),
                pattern: pattern.to_string(),
                source,
            })
        };
        let include = compile(&record.spec.url_regexp_include)?;
        let exclude = match &record.spec.url_regexp_exclude {
            Some(pattern) => Some(compile(pattern)?),
            None => None,
        };
        let start = Url::parse(&record.spec.start_url).ok();
        let start_host = start
            .as_ref()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_default();
        let start_port = start.as_ref().and_then(Url::port_or_known_default);
        let registrable_domain = registrable_domain(&start_host);
        Ok(JobContext {
            rules: record.spec.kind.rules(),
            record,
            include,
            exclude,
            start_host,
            start_port,
            registrable_domain,
        })
    }

    /// Whether a link found on a page of depth `parent_depth` is to be crawled.
    pub fn accepts(&self, url: &Url, parent_depth: u32) -> bool {
        let spec = &self.record.spec;
        if let Some(max) = spec.max_depth {
            if parent_depth + 1 > max {
                return false;
            }
        }
        if !self.in_scope(url) {
            return false;
        }
        let text = url.as_str();
        self.include.is_match(text) && !self.exclude.as_ref().is_some_and(|re| re.is_match(text))
    }

    /// What the job's kind decides: whether it follows links, announces its start, how it
    /// retries.
    pub fn rules(&self) -> &KindRules {
        &self.rules
    }

    /// Whether links of a page at `depth` can be followed at all: never for a kind that
    /// follows no links, and saves parsing pages at the maximum depth.
    pub fn follows_links_at(&self, depth: u32) -> bool {
        self.rules.follows_links && self.record.spec.max_depth.is_none_or(|max| depth < max)
    }

    /// Turns an extracted link into the form the job deduplicates on.
    pub fn canonical(&self, url: Url) -> Url {
        if self.record.spec.ignore_query_parameters {
            urlnorm::without_query(url)
        } else {
            url
        }
    }

    fn in_scope(&self, url: &Url) -> bool {
        let host = url.host_str().unwrap_or_default();
        match self.record.spec.scope {
            // Another port is another server, even on the same host name.
            Scope::Host => {
                host == self.start_host && url.port_or_known_default() == self.start_port
            }
            Scope::Domain => {
                host == self.registrable_domain
                    || host
                        .strip_suffix(&self.registrable_domain)
                        .is_some_and(|prefix| prefix.ends_with('.'))
            }
            Scope::Any => true,
        }
    }
}

/// The registrable domain (eTLD+1) of a host, by the public suffix list; IP addresses and
/// single-label hosts are their own domain.
fn registrable_domain(host: &str) -> String {
    if host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') {
        return host.to_string();
    }
    psl::domain_str(host).unwrap_or(host).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crawler_core::{ApiParams, JobId, JobKind, JobSpec};

    fn context(
        scope: Scope,
        max_depth: Option<u32>,
        include: &str,
        exclude: Option<&str>,
    ) -> JobContext {
        JobContext::new(record(scope, max_depth, include, exclude)).unwrap()
    }

    fn record(
        scope: Scope,
        max_depth: Option<u32>,
        include: &str,
        exclude: Option<&str>,
    ) -> JobRecord {
        JobRecord {
            job_id: JobId::generate(),
            owner: "o".into(),
            spec: JobSpec {
                kind: JobKind::Crawl,
                start_url: "http://www.example.co.uk/".into(),
                urls: Vec::new(),
                url_regexp_include: include.into(),
                url_regexp_exclude: exclude.map(str::to_string),
                max_depth,
                crawl_budget: None,
                api_params: ApiParams::default(),
                callback: None,
                webhook_name: None,
                tenant: Default::default(),
                meta: serde_json::Value::Null,
                timeout_sec: 60,
                scope,
                follow_nofollow: false,
                ignore_query_parameters: false,
                max_pages_per_host: None,
                respect_robots_txt: true,
                name: None,
                custom_id: None,
                async_job: None,
            },
            cost_per_page: 1,
            created_at_ms: 0,
            deadline_ms: u64::MAX,
        }
    }

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn host_scope_keeps_only_the_start_host() {
        let c = context(Scope::Host, None, ".*", None);
        assert!(c.accepts(&url("http://www.example.co.uk/a"), 0));
        assert!(!c.accepts(&url("http://shop.example.co.uk/a"), 0));
        assert!(!c.accepts(&url("http://other.com/"), 0));
        assert!(!c.accepts(&url("http://www.example.co.uk:8080/a"), 0));
        assert!(c.accepts(&url("http://www.example.co.uk:80/a"), 0));
    }

    #[test]
    fn domain_scope_uses_the_public_suffix_list() {
        let c = context(Scope::Domain, None, ".*", None);
        assert!(c.accepts(&url("http://shop.example.co.uk/a"), 0));
        assert!(c.accepts(&url("http://example.co.uk/a"), 0));
        assert!(!c.accepts(&url("http://evil-example.co.uk/"), 0));
        assert!(!c.accepts(&url("http://other.co.uk/"), 0));
    }

    #[test]
    fn depth_and_regexes_filter() {
        let c = context(Scope::Host, Some(2), "/blog/", Some("draft"));
        assert!(c.accepts(&url("http://www.example.co.uk/blog/a"), 1));
        assert!(!c.accepts(&url("http://www.example.co.uk/blog/a"), 2));
        assert!(!c.accepts(&url("http://www.example.co.uk/shop/a"), 0));
        assert!(!c.accepts(&url("http://www.example.co.uk/blog/draft-1"), 0));
        assert!(c.follows_links_at(1));
        assert!(!c.follows_links_at(2));
    }

    #[test]
    fn kinds_that_follow_no_links_follow_none_at_any_depth() {
        for kind in [JobKind::Fetch, JobKind::Batch] {
            let mut record = record(Scope::Any, None, ".*", None);
            record.spec.kind = kind;
            let c = JobContext::new(record).unwrap();
            assert!(!c.follows_links_at(0), "{kind:?}");
        }
        assert!(context(Scope::Any, None, ".*", None).follows_links_at(0));
    }
}
