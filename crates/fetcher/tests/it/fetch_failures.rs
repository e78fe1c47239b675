//! The HTTP fetcher against real servers on 127.0.0.1: the ways a fetch fails.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::{serve, serve_raw, test_config, write};
use axum::body::Body;
use axum::routing::get;
use axum::Router;
use crawler_fetcher::fetch::{FetchConfig, FetchError, HttpFetcher, RequestOptions};
use url::Url;

fn url(addr: std::net::SocketAddr, path: &str) -> Url {
    Url::parse(&format!("http://{addr}{path}")).unwrap()
}

async fn fetch(
    config: FetchConfig,
    target: &Url,
    opts: &RequestOptions,
) -> Result<crawler_fetcher::fetch::FetchedPage, FetchError> {
    HttpFetcher::new(config).unwrap().fetch(target, opts).await
}

#[tokio::test]
async fn an_endless_body_fails_with_too_large_after_the_cap() {
    let sent = Arc::new(AtomicU64::new(0));
    let counter = sent.clone();
    let app = Router::new().route(
        "/endless",
        get(move || {
            let counter = counter.clone();
            async move {
                let chunk = bytes::Bytes::from(vec![b'x'; 16 * 1024]);
                let stream = futures::stream::repeat_with(move || {
                    counter.fetch_add(chunk.len() as u64, Ordering::SeqCst);
                    Ok::<_, std::io::Error>(chunk.clone())
                });
                Body::from_stream(stream)
            }
        }),
    );
    let addr = serve(app).await;
    let config = FetchConfig {
        max_body_bytes: 256 * 1024,
        ..test_config()
    };
    let err = fetch(config, &url(addr, "/endless"), &RequestOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err, FetchError::TooLarge { limit: 256 * 1024 });
    assert_eq!(err.fail_reason(), "too_large");
    // The server only got as far as the socket buffers allowed before the client hung up.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let sent = sent.load(Ordering::SeqCst);
    assert!(sent < 64 * 1024 * 1024, "the server streamed {sent} bytes");
}

#[tokio::test]
async fn a_content_length_above_the_cap_fails_before_reading() {
    // The server announces a gigabyte and then sends nothing: only a check of the header
    // can answer before the read timeout.
    let (addr, _) = serve_raw(|mut stream| async move {
        write(
            &mut stream,
            b"HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\n",
        )
        .await;
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await;
    let started = Instant::now();
    let err = fetch(test_config(), &url(addr, "/"), &RequestOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err, FetchError::TooLarge { limit: 1024 * 1024 });
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_trickling_server_fails_with_timeout_by_the_read_timeout() {
    let (addr, _) = serve_raw(|mut stream| async move {
        write(
            &mut stream,
            b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc",
        )
        .await;
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await;
    let config = FetchConfig {
        read_timeout: Duration::from_millis(300),
        ..test_config()
    };
    let started = Instant::now();
    let err = fetch(config, &url(addr, "/"), &RequestOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err, FetchError::Timeout);
    assert!(err.is_retryable());
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(250) && elapsed < Duration::from_secs(2),
        "took {elapsed:?}"
    );
}

#[tokio::test]
async fn a_steady_but_slow_body_fails_with_timeout_by_the_total_timeout() {
    // A byte every 50 ms never trips the read timeout; the total limit still ends it.
    let (addr, _) = serve_raw(|mut stream| async move {
        write(
            &mut stream,
            b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n",
        )
        .await;
        for _ in 0..1000 {
            tokio::time::sleep(Duration::from_millis(50)).await;
            if !write(&mut stream, b"x").await {
                return;
            }
        }
    })
    .await;
    let config = FetchConfig {
        read_timeout: Duration::from_millis(500),
        total_timeout: Duration::from_millis(700),
        ..test_config()
    };
    let started = Instant::now();
    let err = fetch(config, &url(addr, "/"), &RequestOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err, FetchError::Timeout);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_closed_port_fails_with_connection_refused() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let err = fetch(test_config(), &url(addr, "/"), &RequestOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err, FetchError::ConnectionRefused);
    assert_eq!(err.fail_reason(), "connection_refused");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn https_to_a_plain_http_server_is_a_tls_error() {
    let addr = serve(Router::new().route("/", get(|| async { "plain" }))).await;
    let target = Url::parse(&format!("https://{addr}/")).unwrap();
    let err = fetch(test_config(), &target, &RequestOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::Tls(_)), "{err:?}");
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn unknown_hosts_fail_with_dns_error() {
    let target = Url::parse("http://no-such-host.invalid/").unwrap();
    for allow_private_networks in [true, false] {
        let config = FetchConfig {
            allow_private_networks,
            ..test_config()
        };
        let err = fetch(config, &target, &RequestOptions::default())
            .await
            .unwrap_err();
        assert!(
            matches!(err, FetchError::Dns(_)),
            "allow={allow_private_networks}: {err:?}"
        );
        assert_eq!(err.fail_reason(), "dns_error");
    }
}

#[tokio::test]
async fn loopback_targets_are_blocked_unless_allowed() {
    let (addr, connections) = serve_raw(|mut stream| async move {
        write(
            &mut stream,
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
        )
        .await;
    })
    .await;
    let guarded = FetchConfig {
        allow_private_networks: false,
        ..test_config()
    };
    for target in [
        url(addr, "/"),
        Url::parse(&format!("http://localhost:{}/", addr.port())).unwrap(),
    ] {
        let err = fetch(guarded.clone(), &target, &RequestOptions::default())
            .await
            .unwrap_err();
        assert!(
            matches!(err, FetchError::BlockedAddress { .. }),
            "{target}: {err:?}"
        );
        assert_eq!(err.fail_reason(), "blocked_address");
        assert!(!err.is_retryable());
    }
    assert_eq!(
        connections.load(Ordering::SeqCst),
        0,
        "a blocked fetch reached the server"
    );
    let page = fetch(test_config(), &url(addr, "/"), &RequestOptions::default())
        .await
        .unwrap();
    assert_eq!(&page.body[..], b"ok");
    assert_eq!(connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn non_http_urls_are_invalid() {
    let target = Url::parse("ftp://example.com/file").unwrap();
    let err = fetch(test_config(), &target, &RequestOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.fail_reason(), "invalid_url");
}

#[tokio::test]
async fn through_a_proxy_private_targets_are_blocked_before_the_proxy_sees_them() {
    let (proxy, connections) = serve_raw(|mut stream| async move {
        write(
            &mut stream,
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
        )
        .await;
    })
    .await;
    let config = FetchConfig {
        proxy: Some(format!("http://{proxy}")),
        allow_private_networks: false,
        ..test_config()
    };
    for target in [
        "http://127.0.0.1:9/",
        "http://localhost:9/",
        "http://[::1]/",
    ] {
        let target = Url::parse(target).unwrap();
        let err = fetch(config.clone(), &target, &RequestOptions::default())
            .await
            .unwrap_err();
        assert_eq!(err.fail_reason(), "blocked_address", "{target}: {err:?}");
    }
    assert_eq!(connections.load(Ordering::SeqCst), 0);
}
