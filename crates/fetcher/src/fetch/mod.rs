//! HTTP fetching with timeouts, a body size cap, redirects followed by our own policy,
//! and the private-network guard at connect time.

mod error;
mod page;
mod redirect;

use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE, LOCATION, USER_AGENT};
use reqwest::{Client, Response};
use url::Url;

pub use error::FetchError;
pub use page::FetchedPage;
pub use redirect::{is_redirect, RedirectChain};

/// How the fetcher's HTTP client behaves; one client serves every request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchConfig {
    /// Time to open the TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// Longest wait for the next bytes of a response: catches servers that trickle.
    pub read_timeout: Duration,
    /// Limit on the whole fetch, redirects and body included.
    pub total_timeout: Duration,
    /// Bodies larger than this fail with [`FetchError::TooLarge`].
    pub max_body_bytes: u64,
    pub max_redirects: usize,
    pub user_agent: String,
    /// Allow loopback, private and link-local targets (tests, intranet crawls).
    pub allow_private_networks: bool,
    /// Send every request through this proxy (`http://`, `https://` or `socks5://`).
    pub proxy: Option<String>,
}

impl Default for FetchConfig {
    /// The defaults of `config.default.toml`.
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            total_timeout: Duration::from_secs(60),
            max_body_bytes: 10 * 1024 * 1024,
            max_redirects: 10,
            user_agent: concat!("crawler/", env!("CARGO_PKG_VERSION")).to_string(),
            allow_private_networks: false,
            proxy: None,
        }
    }
}

/// Per-request choices, taken from the job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestOptions {
    /// When false, a 3xx response is returned as the page itself.
    pub follow_redirects: bool,
    /// Extra request headers, sent on every hop to the same origin.
    pub headers: Vec<(String, String)>,
    /// Replaces the configured User-Agent (and any `User-Agent` in `headers`).
    pub user_agent: Option<String>,
    /// The first request's method and body (an async job's `POST`/`PUT`); `None` is a
    /// `GET`. Redirect hops are always `GET`s, as browsers follow a 301, 302 or 303.
    pub request: Option<(reqwest::Method, Vec<u8>)>,
}

impl Default for RequestOptions {
    fn default() -> Self {
        Self {
            follow_redirects: true,
            headers: Vec::new(),
            user_agent: None,
            request: None,
        }
    }
}

/// Fetches pages. Cheap to clone: clones share one connection pool.
#[derive(Debug, Clone)]
pub struct HttpFetcher {
    client: Client,
    config: Arc<FetchConfig>,
}

impl HttpFetcher {
    pub fn new(config: FetchConfig) -> Result<HttpFetcher, FetchError> {
        let mut builder = Client::builder()
            .use_rustls_tls()
            .gzip(true)
            .brotli(true)
            .deflate(true)
            .connect_timeout(config.connect_timeout)
            .read_timeout(config.read_timeout)
            .timeout(config.total_timeout)
            .user_agent(config.user_agent.clone())
            .redirect(reqwest::redirect::Policy::none());
        match &config.proxy {
            Some(proxy) => {
                // Through a proxy the resolver only ever sees the proxy's own name, which the
                // operator chose and which may well be private, so the guard moves to a
                // lookup of each hop's host before it is requested (see `check_hop`).
                let proxy = reqwest::Proxy::all(proxy.as_str()).map_err(|e| {
                    let shown = crawler_core::redact::redacted_url(proxy);
                    FetchError::InvalidRequest(format!("proxy `{shown}`: {e}"))
                })?;
                builder = builder.proxy(proxy);
            }
            // reqwest would otherwise send through `HTTP_PROXY`, `HTTPS_PROXY` or
            // `ALL_PROXY` from the environment: a proxy nobody configured, which sees every
            // page and through which the resolver's private-network guard never runs.
            None if !config.allow_private_networks => {
                builder = builder
                    .no_proxy()
                    .dns_resolver(Arc::new(crawler_netguard::PublicOnlyResolver::new()));
            }
            None => builder = builder.no_proxy(),
        }
        let client = builder
            .build()
            .map_err(|e| FetchError::Other(format!("building the HTTP client: {e}")))?;
        Ok(HttpFetcher {
            client,
            config: Arc::new(config),
        })
    }

    pub fn config(&self) -> &FetchConfig {
        &self.config
    }

    /// Fetches `url`, following redirects when asked, and reads the body up to the cap.
    pub async fn fetch(&self, url: &Url, opts: &RequestOptions) -> Result<FetchedPage, FetchError> {
        // The client's timeout restarts on every hop; this one bounds the whole chain.
        tokio::time::timeout(self.config.total_timeout, self.fetch_chain(url, opts))
            .await
            .unwrap_or(Err(FetchError::Timeout))
    }

    async fn fetch_chain(
        &self,
        url: &Url,
        opts: &RequestOptions,
    ) -> Result<FetchedPage, FetchError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(FetchError::InvalidUrl(format!(
                "the {} scheme cannot be fetched",
                url.scheme()
            )));
        }
        let headers = request_headers(opts)?;
        let mut chain = RedirectChain::new(
            url,
            self.config.max_redirects,
            self.config.allow_private_networks,
        );
        let mut current = url.clone();
        self.check_hop(&current).await?;
        let mut request = opts.request.clone();
        loop {
            let response = self
                .send(
                    &current,
                    headers_for(&headers, url, &current),
                    request.take(),
                )
                .await?;
            let status = response.status();
            let location = response
                .headers()
                .get(LOCATION)
                .map(|l| String::from_utf8_lossy(l.as_bytes()).into_owned());
            match location {
                Some(location) if opts.follow_redirects && is_redirect(status) => {
                    current = chain.follow(&current, &location)?;
                    self.check_hop(&current).await?;
                }
                _ => {
                    let headers = page::flatten_headers(response.headers());
                    let content_type = response
                        .headers()
                        .get(CONTENT_TYPE)
                        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
                    let body = read_capped(response, self.config.max_body_bytes).await?;
                    return Ok(FetchedPage {
                        final_url: current,
                        redirects: chain.into_hops(),
                        status: status.as_u16(),
                        headers,
                        body,
                        content_type,
                    });
                }
            }
        }
    }

    /// The guard before each request. Without a proxy only IP literals need checking here,
    /// because the resolver refuses private addresses at connect time; through a proxy
    /// the host is resolved and checked here, as the proxy will connect on our behalf.
    async fn check_hop(&self, url: &Url) -> Result<(), FetchError> {
        let allow = self.config.allow_private_networks;
        crawler_netguard::check_ip_literal(url, allow)?;
        if self.config.proxy.is_some() {
            crawler_netguard::check_url(url, allow).await?;
        }
        Ok(())
    }

    async fn send(
        &self,
        url: &Url,
        headers: HeaderMap,
        request: Option<(reqwest::Method, Vec<u8>)>,
    ) -> Result<Response, FetchError> {
        let builder = match request {
            Some((method, body)) => self.client.request(method, url.clone()).body(body),
            None => self.client.get(url.clone()),
        };
        builder
            .headers(headers)
            .send()
            .await
            .map_err(|e| FetchError::from_reqwest(&e))
    }
}

/// Builds the job's headers once; invalid names or values fail the fetch for good.
fn request_headers(opts: &RequestOptions) -> Result<HeaderMap, FetchError> {
    let mut map = HeaderMap::new();
    for (name, value) in &opts.headers {
        let name = HeaderName::from_bytes(name.trim().as_bytes())
            .map_err(|_| FetchError::InvalidRequest(format!("header name `{name}`")))?;
        let value = HeaderValue::from_str(value.trim())
            .map_err(|_| FetchError::InvalidRequest(format!("value of header `{name}`")))?;
        map.append(name, value);
    }
    if let Some(agent) = &opts.user_agent {
        let value = HeaderValue::from_str(agent)
            .map_err(|_| FetchError::InvalidRequest(format!("user agent `{agent}`")))?;
        map.insert(USER_AGENT, value);
    }
    Ok(map)
}

/// The job's headers for one hop: credentials go only to the origin they were meant for,
/// as browsers and reqwest's own redirect handling do.
fn headers_for(headers: &HeaderMap, start: &Url, current: &Url) -> HeaderMap {
    let mut headers = headers.clone();
    if start.origin() != current.origin() {
        for name in [
            "authorization",
            "cookie",
            "proxy-authorization",
            "www-authenticate",
        ] {
            headers.remove(name);
        }
    }
    headers
}

/// Reads the body chunk by chunk and stops as soon as it passes `limit`, so an endless
/// or huge body costs at most `limit` bytes of memory and the time to read them.
async fn read_capped(mut response: Response, limit: u64) -> Result<Bytes, FetchError> {
    if response.content_length().is_some_and(|len| len > limit) {
        return Err(FetchError::TooLarge { limit });
    }
    let initial = response.content_length().unwrap_or(16 * 1024).min(limit);
    let mut body = BytesMut::with_capacity(usize::try_from(initial).unwrap_or(0));
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| FetchError::from_reqwest(&e))?
    {
        if (body.len() + chunk.len()) as u64 > limit {
            return Err(FetchError::TooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}
