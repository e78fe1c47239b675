//! End-to-end politeness: what a crawled site sees of the crawler, measured at the site.
//! Every test runs the distributed roles as processes, two fetcher workers sharing the
//! work over the test RabbitMQ and Redis, and serves its own site on loopback.
//!
//! - `pacing`: `delay_ms` and `max_concurrency_per_host` across both workers, the
//!   robots.txt `Crawl-delay`, `Retry-After` on a 429, `max_pages_per_host`;
//! - `robots`: RFC 9309 rules, one robots.txt fetch per host for all workers, opting out,
//!   and an unreachable robots.txt;
//! - `params`: the `api_params` that change the requests (User-Agent, custom headers,
//!   country proxy) or the bodies reported (`output_format`).

#[path = "citizen/mod.rs"]
mod citizen;
#[path = "support/mod.rs"]
mod support;

// The cases live in tests/politeness/, one file per concern; a test target's root
// resolves modules next to itself, hence the paths.
#[path = "politeness/pacing.rs"]
mod pacing;
#[path = "politeness/params.rs"]
mod params;
#[path = "politeness/proxy.rs"]
mod proxy;
#[path = "politeness/robots.rs"]
mod robots;
