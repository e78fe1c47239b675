//! What can go wrong talking to a coordinator, each case worded as one line a person can
//! act on. `main` prints the line after `error: ` and exits 1; nothing here carries a
//! backtrace or a chain of causes, because the line already says what happened.

use std::error::Error as _;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ClientError {
    #[error("cannot reach the coordinator at {api}: {reason}; is it running? (crawler serve starts one)")]
    Unreachable { api: String, reason: String },

    #[error("the coordinator refused the API key; pass --api-key or set CRAWLER_API_KEY")]
    KeyRefused,

    #[error("the coordinator requires an API key; pass --api-key or set CRAWLER_API_KEY")]
    KeyMissing,

    #[error("no job {0}")]
    NoSuchJob(String),

    /// A 4xx naming the request field at fault (validation, plan limits).
    #[error("{}", refused_line(.field, .message))]
    Refused {
        field: Option<String>,
        message: String,
    },

    /// Any other answer that is not a success: a 5xx, a 404 from something that is not a
    /// coordinator, a proxy's error page.
    #[error("the coordinator at {api} answered {status}: {message}")]
    Failed {
        api: String,
        status: u16,
        message: String,
    },

    /// A success whose body this client cannot read, usually a different program
    /// listening on the API address.
    #[error("the answer from {api} is not what a coordinator sends ({detail}); is --api right?")]
    UnreadableAnswer { api: String, detail: String },

    /// The user's own input: a flag, a file.
    #[error("{0}")]
    Input(String),
}

/// The job may come from a `--json-file`, so the field keeps the name the API gives it.
fn refused_line(field: &Option<String>, message: &str) -> String {
    match field {
        Some(field) => crate::refusal::refusal_line(field, field, message),
        None => crate::refusal::one_line(message),
    }
}

/// Why a request never got an answer, in a few words: "connection refused", "timed out",
/// or the innermost cause the HTTP stack reported.
pub fn unreachable_reason(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        return "timed out".to_string();
    }
    let mut innermost: &dyn std::error::Error = error;
    let mut source = error.source();
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => return "connection refused".to_string(),
                std::io::ErrorKind::TimedOut => return "timed out".to_string(),
                _ => {}
            }
        }
        innermost = cause;
        source = cause.source();
    }
    innermost.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_name_the_field_once() {
        let error = ClientError::Refused {
            field: Some("max_depth".into()),
            message: "must be a non-negative integer".into(),
        };
        assert_eq!(
            error.to_string(),
            "max_depth: must be a non-negative integer"
        );
        let error = ClientError::Refused {
            field: Some("max_depth".into()),
            message: "max_depth must be a non-negative integer".into(),
        };
        assert_eq!(
            error.to_string(),
            "max_depth must be a non-negative integer"
        );
        let error = ClientError::Refused {
            field: None,
            message: "method not allowed".into(),
        };
        assert_eq!(error.to_string(), "method not allowed");
    }
}
