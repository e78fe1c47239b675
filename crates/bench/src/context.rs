//! The other processes that work during a run and share the machine's CPUs with the
//! crawler: this benchmark itself (it serves the site and receives the webhooks), RabbitMQ
//! and Redis. Their CPU time shows where a run's time went when the crawler's own
//! processes are not busy.

use std::path::PathBuf;

/// (name, pid) of each such process that can be found. RabbitMQ and Redis are found by
/// the pid files `scripts/services start` writes under `$CRAWLER_SERVICES_DIR` (default
/// `.ci/tmp/services`); when they were started some other way they are left out.
pub fn processes() -> Vec<(String, u32)> {
    let mut found = vec![(
        "crawler-bench (site, receiver)".to_string(),
        std::process::id(),
    )];
    let dir = std::env::var_os("CRAWLER_SERVICES_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(".ci/tmp/services"));
    for (name, pid_file) in [
        ("rabbitmq", "rabbitmq/rabbit.pid"),
        ("redis", "redis/redis.pid"),
    ] {
        let pid = std::fs::read_to_string(dir.join(pid_file))
            .ok()
            .and_then(|text| text.trim().parse::<u32>().ok())
            .filter(|pid| PathBuf::from(format!("/proc/{pid}")).exists());
        if let Some(pid) = pid {
            found.push((name.to_string(), pid));
        }
    }
    found
}
