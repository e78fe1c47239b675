//! What leaves the crawler besides the requests it was asked to make:
//!
//! - `proxy`: proxies from the environment (`HTTP_PROXY` and the like) are ignored, so
//!   pages and webhooks go direct unless a proxy is configured in our own settings (both
//!   deployments);
//! - `secrets`: broker, Redis and proxy passwords and callback query strings never appear
//!   in any role's log, even at debug level (distributed roles).

mod proxy;
mod secrets;
