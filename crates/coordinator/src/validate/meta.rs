//! `meta`: the caller's own JSON, carried unread in the job record, every fetch task's job
//! context and every event. It is bounded at submission because serde_json refuses to
//! read values nested deeper than 128 levels: a `meta` that the coordinator could just
//! parse would fail to decode in the worker, inside the job record, and its tasks would be
//! handed back for ever. Its size is bounded so that it cannot make every page event large.

use serde_json::Value;

use crate::error::ApiError;

/// Deepest nesting of arrays and objects `meta` may have (`{"a": [1]}` is 2 deep), far
/// below serde_json's recursion limit of 128 with room for the layers (job record, task,
/// event envelope) that wrap it.
pub const MAX_META_DEPTH: usize = 32;

/// Largest `meta` as compact JSON, in bytes. It is copied into every page event.
pub const MAX_META_BYTES: usize = 64 * 1024;

/// `meta` as given (`null` when absent), or the 400 naming it when it is too deep or too
/// large.
pub fn meta(value: Option<&Value>) -> Result<Value, ApiError> {
    let Some(value) = value else {
        return Ok(Value::Null);
    };
    if depth(value) > MAX_META_DEPTH {
        return Err(ApiError::bad_request(
            "meta",
            format!("meta is nested more than {MAX_META_DEPTH} levels deep"),
        ));
    }
    let size = serde_json::to_vec(value).map_or(usize::MAX, |json| json.len());
    if size > MAX_META_BYTES {
        return Err(ApiError::bad_request(
            "meta",
            format!("meta is {size} bytes as JSON; at most {MAX_META_BYTES} are accepted"),
        ));
    }
    Ok(value.clone())
}

/// Levels of arrays and objects: 0 for a scalar. Recursion is safe here: the request was
/// parsed by serde_json, which bounds the depth to 128.
fn depth(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Value::Object(fields) => 1 + fields.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}
