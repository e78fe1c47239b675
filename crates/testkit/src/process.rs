//! Role binaries run as child processes, the way they run in production.
//!
//! A [`RoleProcess`] starts a binary with a clean `CRAWLER_*` environment (only what the
//! test passes, so a developer's own settings never leak in), collects its log lines, and
//! kills it when dropped, so a failing test leaves no process behind. Each log line is
//! echoed to the test's output with the role's name in front; the test harness shows it
//! only when the test fails.

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What a role logs once it listens, followed by the bound address. Kept in step with
/// `crawler_coordinator::LISTENING_PREFIX` (testkit does not depend on the roles).
pub const LISTENING_PREFIX: &str = "listening on http://";

/// How long a role may take to start listening (it waits for the broker and Redis).
pub const START_TIMEOUT: Duration = Duration::from_secs(30);

pub struct RoleProcess {
    name: String,
    pid: u32,
    child: Mutex<Child>,
    lines: Arc<Mutex<Vec<String>>>,
}

impl RoleProcess {
    /// Starts `program` with `env` on top of `RUST_LOG=info`, `NO_COLOR=1` and no other
    /// `CRAWLER_*` variable.
    pub fn spawn(name: &str, program: impl AsRef<Path>, env: &[(String, String)]) -> Self {
        Self::spawn_with_args(name, program, &[], env)
    }

    /// Like [`RoleProcess::spawn`], with command-line arguments.
    pub fn spawn_with_args(
        name: &str,
        program: impl AsRef<Path>,
        args: &[&str],
        env: &[(String, String)],
    ) -> Self {
        let program = program.as_ref();
        let mut command = Command::new(program);
        command.args(args);
        for (key, _) in std::env::vars() {
            if key.starts_with("CRAWLER_") {
                command.env_remove(key);
            }
        }
        command
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name} ({}): {e}", program.display()));
        let lines = Arc::new(Mutex::new(Vec::new()));
        if let Some(out) = child.stdout.take() {
            collect(name, out, Arc::clone(&lines));
        }
        if let Some(err) = child.stderr.take() {
            collect(name, err, Arc::clone(&lines));
        }
        RoleProcess {
            name: name.to_string(),
            pid: child.id(),
            child: Mutex::new(child),
            lines,
        }
    }

    /// Starts `program` and waits until it logs the address it listens on.
    pub async fn spawn_listening(
        name: &str,
        program: impl AsRef<Path>,
        env: &[(String, String)],
    ) -> (Self, SocketAddr) {
        let process = Self::spawn(name, program, env);
        let addr = process.wait_for_listening().await;
        (process, addr)
    }

    /// Everything logged so far.
    pub fn logs(&self) -> String {
        self.lines.lock().map(|l| l.join("\n")).unwrap_or_default()
    }

    pub fn id(&self) -> u32 {
        self.pid
    }

    /// Waits for a log line containing `needle` and returns it. Panics, with the logs, when
    /// the process exits first or `timeout` passes.
    pub async fn wait_for_log(&self, needle: &str, timeout: Duration) -> String {
        self.wait_for(&format!("`{needle}`"), timeout, |line| {
            line.contains(needle).then(|| line.to_string())
        })
        .await
    }

    /// Waits until the role logs `listening on http://ADDR` and returns ADDR.
    pub async fn wait_for_listening(&self) -> SocketAddr {
        let what = format!("`{LISTENING_PREFIX}ADDR`");
        self.wait_for(&what, START_TIMEOUT, parse_listening_addr)
            .await
    }

    /// Waits for the first log line `matcher` accepts.
    async fn wait_for<T>(
        &self,
        what: &str,
        timeout: Duration,
        matcher: impl Fn(&str) -> Option<T>,
    ) -> T {
        let deadline = Instant::now() + timeout;
        loop {
            let found = self
                .lines
                .lock()
                .ok()
                .and_then(|lines| lines.iter().find_map(|l| matcher(l)));
            if let Some(found) = found {
                return found;
            }
            if let Some(status) = self.exit_status() {
                // Let the reader threads drain what the process wrote before it died.
                tokio::time::sleep(Duration::from_millis(200)).await;
                panic!(
                    "{} exited ({status}) before logging {what}; its log:\n{}",
                    self.name,
                    self.logs()
                );
            }
            if Instant::now() > deadline {
                panic!(
                    "{} did not log {what} within {timeout:?}; its log:\n{}",
                    self.name,
                    self.logs()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Sends a signal (`TERM`, `INT`, ...) without waiting for the process to exit.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.pid.to_string())
            .status();
        assert!(
            status.is_ok_and(|s| s.success()),
            "could not send SIG{signal} to {}",
            self.name
        );
    }

    /// Waits up to `timeout` for the process to exit and returns its exit code.
    pub async fn wait_exit(&self, timeout: Duration) -> Option<i32> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.exit_status() {
                return status.code();
            }
            if Instant::now() > deadline {
                panic!(
                    "{} did not exit within {timeout:?}; its log:\n{}",
                    self.name,
                    self.logs()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// How the process ended, if it has.
    fn exit_status(&self) -> Option<std::process::ExitStatus> {
        self.child
            .lock()
            .ok()
            .and_then(|mut c| c.try_wait().ok().flatten())
    }

    /// Kills the process (SIGKILL) and reaps it.
    pub fn kill(&self) {
        if let Ok(mut child) = self.child.lock() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for RoleProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Reads `stream` line by line on a thread, storing and echoing each line.
fn collect(name: &str, stream: impl Read + Send + 'static, lines: Arc<Mutex<Vec<String>>>) {
    let name = name.to_string();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            eprintln!("[{name}] {line}");
            if let Ok(mut lines) = lines.lock() {
                lines.push(line);
            }
        }
    });
}

/// The address in a line containing `listening on http://ADDR`, in text or JSON logs.
pub fn parse_listening_addr(line: &str) -> Option<SocketAddr> {
    let start = line.find(LISTENING_PREFIX)? + LISTENING_PREFIX.len();
    let rest = &line[start..];
    let end = rest
        .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\\' | ',' | '}'))
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_address_from_text_and_json_logs() {
        let text =
            "2025-01-01T00:00:00Z  INFO crawler_coordinator: listening on http://127.0.0.1:43123";
        assert_eq!(
            parse_listening_addr(text),
            Some("127.0.0.1:43123".parse().unwrap())
        );
        let json = r#"{"fields":{"message":"listening on http://[::1]:8080"},"level":"INFO"}"#;
        assert_eq!(
            parse_listening_addr(json),
            Some("[::1]:8080".parse().unwrap())
        );
        assert_eq!(parse_listening_addr("starting"), None);
    }
}
