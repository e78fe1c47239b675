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

// The cases live in politeness/, one file per concern.
mod pacing;
mod params;
mod proxy;
mod robots;
