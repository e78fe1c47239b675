//! How the sink shows and stores one delivery: a readable line on stdout, and a JSON line
//! in the `--output` file with everything needed to replay or inspect it later.

use axum::http::HeaderMap;
use crawler_core::WebhookEvent;
use serde_json::{json, Map, Value};

use super::verify::Verdict;

/// Wide enough for `crawl.page` and `crawl.started` to line up; `crawl.finished` is one
/// character longer and simply pushes its line over.
const EVENT_WIDTH: usize = 12;

fn signature_text(verdict: &Verdict) -> String {
    match verdict {
        Verdict::Valid => "sig=ok".to_string(),
        Verdict::Unchecked => "sig=unchecked".to_string(),
        Verdict::Invalid(reason) => format!("sig=BAD ({reason})"),
    }
}

/// One line per delivery, `clock` being the local time it arrived (`12:00:01`).
pub fn readable_line(clock: &str, body: &[u8], verdict: &Verdict) -> String {
    let sig = signature_text(verdict);
    let event = match serde_json::from_slice::<WebhookEvent>(body) {
        Ok(event) => event,
        Err(_) => return unknown_line(clock, body, &sig),
    };
    match event {
        WebhookEvent::Page(page) => {
            let mut line = format!(
                "{clock} {:<EVENT_WIDTH$} {} {}  depth={} cost={}",
                "crawl.page", page.status, page.url, page.current_depth, page.credits
            );
            if let Some(response) = &page.response {
                line.push_str(&format!(" http={}", response.status_code));
            }
            if let Some(reason) = &page.fail_reason {
                line.push_str(&format!(" reason={reason}"));
            }
            format!("{line} {sig}")
        }
        WebhookEvent::Summary(summary) => format!(
            "{clock} {:<EVENT_WIDTH$} job={} state={} stop={} completed={} failed={} cancelled={} cost={} {sig}",
            "crawl.finished",
            summary.job_id,
            summary.job_state.as_str(),
            summary.stop_reason.as_str(),
            summary.completed.len(),
            summary.failed.len(),
            summary.cancelled.len(),
            summary.job_cost,
        ),
        WebhookEvent::Started(started) => format!(
            "{clock} {:<EVENT_WIDTH$} job={} {} {sig}",
            "crawl.started", started.job_id, started.start_url
        ),
    }
}

/// A body that is not one of the crawler's events still gets a line, so a user testing
/// the sink with curl sees that it arrived.
fn unknown_line(clock: &str, body: &[u8], sig: &str) -> String {
    let event = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("event").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_else(|| "?".to_string());
    format!(
        "{clock} {event:<EVENT_WIDTH$} {} bytes, not a crawler event {sig}",
        body.len()
    )
}

/// The stored form: `{receivedAt, webhookId, signatureOk, headers, body}`. The body is
/// kept as JSON when it is JSON, as text otherwise.
pub fn record(received_at: &str, headers: &HeaderMap, body: &[u8], verdict: &Verdict) -> Value {
    let mut header_map = Map::new();
    for name in headers.keys() {
        let values: Vec<String> = headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect();
        header_map.insert(name.as_str().to_string(), Value::from(values.join(", ")));
    }
    let body = serde_json::from_slice::<Value>(body)
        .unwrap_or_else(|_| Value::from(String::from_utf8_lossy(body).into_owned()));
    json!({
        "receivedAt": received_at,
        "webhookId": headers.get("webhook-id").and_then(|v| v.to_str().ok()),
        "signatureOk": verdict.signature_ok(),
        "headers": header_map,
        "body": body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_reads_as_event_status_url_depth_and_cost() {
        let body = json!({
            "event": "crawl.page", "jobId": "0190f0e0-0000-7000-8000-000000000001",
            "url": "http://a/b", "status": "finished", "credits": 3, "attempts": 1,
            "startUrl": "http://a/", "currentDepth": 1, "currentCost": 7,
            "response": {"statusCode": 200, "headers": {}},
        });
        let line = readable_line("12:00:01", body.to_string().as_bytes(), &Verdict::Valid);
        assert_eq!(
            line,
            "12:00:01 crawl.page   finished http://a/b  depth=1 cost=3 http=200 sig=ok"
        );
    }

    #[test]
    fn a_failed_page_says_why() {
        let body = json!({
            "event": "crawl.page", "jobId": "0190f0e0-0000-7000-8000-000000000001",
            "url": "http://a/x", "status": "failed", "credits": 0, "attempts": 3,
            "startUrl": "http://a/", "currentDepth": 2, "currentCost": 7, "failReason": "http_404",
        });
        let line = readable_line("12:00:02", body.to_string().as_bytes(), &Verdict::Unchecked);
        assert_eq!(
            line,
            "12:00:02 crawl.page   failed http://a/x  depth=2 cost=0 reason=http_404 sig=unchecked"
        );
    }

    #[test]
    fn a_summary_reads_as_counts() {
        let body = json!({
            "event": "crawl.finished", "jobId": "0190f0e0-0000-7000-8000-000000000001",
            "jobState": "finished", "jobCost": 10, "crawlBudget": 20, "stopReason": "exhausted",
            "startUrl": "http://a/", "cancelled": [],
            "completed": [{"url": "http://a/", "cost": 10}],
            "failed": [{"url": "http://a/x", "failReason": "timeout"}],
        });
        let line = readable_line("12:00:05", body.to_string().as_bytes(), &Verdict::Valid);
        assert_eq!(
            line,
            "12:00:05 crawl.finished job=0190f0e0-0000-7000-8000-000000000001 state=finished stop=exhausted completed=1 failed=1 cancelled=0 cost=10 sig=ok"
        );
    }

    #[test]
    fn anything_else_still_gets_a_line() {
        let verdict = Verdict::Invalid("no signature matches".into());
        let line = readable_line("12:00:06", b"hello", &verdict);
        assert_eq!(
            line,
            "12:00:06 ?            5 bytes, not a crawler event sig=BAD (no signature matches)"
        );
    }
}
