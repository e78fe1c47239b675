//! The JSON body of `POST /v1/crawls`, built from `crawler submit`'s flags on top of an
//! optional `--json-file`. The coordinator validates everything; this only refuses what it
//! cannot even put into JSON, so that the user sees the coordinator's one set of rules.

use std::path::Path;

use serde_json::{Map, Value};

use super::error::ClientError;
use super::SubmitArgs;

pub fn build(args: &SubmitArgs) -> Result<Value, ClientError> {
    let mut body = match &args.json_file {
        Some(path) => read_job_file(path)?,
        None => Map::new(),
    };
    let mut set = |key: &str, value: Option<Value>| {
        if let Some(value) = value {
            body.insert(key.to_string(), value);
        }
    };
    set("start_url", args.url.clone().map(Value::from));
    set("max_depth", args.max_depth.map(Value::from));
    set("crawl_budget", args.budget.map(Value::from));
    set("url_regexp_include", args.include.clone().map(Value::from));
    set("url_regexp_exclude", args.exclude.clone().map(Value::from));
    if let Some(meta) = &args.meta {
        let meta = serde_json::from_str(meta)
            .map_err(|e| ClientError::Input(format!("--meta is not valid JSON: {e}")))?;
        body.insert("meta".to_string(), meta);
    }
    apply_callback_flags(&mut body, args)?;
    if !body.contains_key("start_url") {
        return Err(ClientError::Input(
            "a start URL is required: crawler submit URL (or a --json-file with start_url)"
                .to_string(),
        ));
    }
    Ok(Value::Object(body))
}

fn read_job_file(path: &Path) -> Result<Map<String, Value>, ClientError> {
    let shown = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| ClientError::Input(format!("cannot read {shown}: {e}")))?;
    match serde_json::from_str(&text) {
        Ok(Value::Object(body)) => Ok(body),
        Ok(_) => Err(ClientError::Input(format!(
            "{shown} must hold a JSON object (a job body)"
        ))),
        Err(e) => Err(ClientError::Input(format!(
            "{shown} is not valid JSON: {e}"
        ))),
    }
}

/// `--webhook`, `--webhook-secret` and `--events` fill the `callback` object, keeping
/// whatever else the job file put there (custom headers, payload mode).
fn apply_callback_flags(
    body: &mut Map<String, Value>,
    args: &SubmitArgs,
) -> Result<(), ClientError> {
    let has_flags =
        args.webhook.is_some() || args.webhook_secret.is_some() || !args.events.is_empty();
    if !has_flags {
        return Ok(());
    }
    let callback = body
        .entry("callback")
        .or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(callback) = callback else {
        return Err(ClientError::Input(
            "the job file's callback must be an object to combine it with --webhook flags"
                .to_string(),
        ));
    };
    if let Some(url) = &args.webhook {
        callback.insert("url".to_string(), Value::from(url.as_str()));
    }
    if !callback.contains_key("url") {
        return Err(ClientError::Input(
            "--webhook-secret and --events need a webhook: add --webhook URL".to_string(),
        ));
    }
    callback
        .entry("type")
        .or_insert_with(|| Value::from("webhook"));
    if let Some(secret) = &args.webhook_secret {
        callback.insert("secret".to_string(), Value::from(secret.as_str()));
    }
    if !args.events.is_empty() {
        let events = args.events.iter().map(|e| Value::from(e.trim())).collect();
        callback.insert("events".to_string(), Value::Array(events));
    }
    Ok(())
}
