//! The armed points of a test build, parsed once from `CRAWLER_FAULTS`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use crate::InjectedFault;

/// What an armed point does when reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Abort,
    /// Fail this many hits (`u64::MAX`: every one).
    Error(u64),
}

struct Armed {
    name: String,
    action: Action,
    hits: AtomicU64,
}

static ARMED: OnceLock<Vec<Armed>> = OnceLock::new();

/// Parses a `CRAWLER_FAULTS` value into `(point, action)` pairs.
pub fn parse(spec: &str) -> Result<Vec<(String, Action)>, String> {
    spec.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            let (name, action) = entry
                .split_once('=')
                .ok_or_else(|| format!("{entry:?} is not name=action"))?;
            let action = match action.split_once(':') {
                None if action == "abort" => Action::Abort,
                None if action == "error" => Action::Error(u64::MAX),
                Some(("error", count)) => Action::Error(
                    count
                        .parse()
                        .map_err(|_| format!("{entry:?}: {count:?} is not a count"))?,
                ),
                _ => return Err(format!("{entry:?}: unknown action {action:?}")),
            };
            Ok((name.to_owned(), action))
        })
        .collect()
}

fn armed() -> &'static [Armed] {
    ARMED.get_or_init(|| {
        let spec = std::env::var("CRAWLER_FAULTS").unwrap_or_default();
        match parse(&spec) {
            Ok(points) => points
                .into_iter()
                .map(|(name, action)| Armed {
                    name,
                    action,
                    hits: AtomicU64::new(0),
                })
                .collect(),
            Err(message) => {
                eprintln!("CRAWLER_FAULTS: {message}; aborting");
                std::process::abort();
            }
        }
    })
}

pub(crate) fn hit(name: &'static str) -> Result<(), InjectedFault> {
    let Some(point) = armed().iter().find(|point| point.name == name) else {
        return Ok(());
    };
    let hit = point.hits.fetch_add(1, Ordering::SeqCst);
    match point.action {
        Action::Abort => {
            eprintln!("fault point {name}: aborting the process (CRAWLER_FAULTS)");
            std::process::abort();
        }
        Action::Error(failing) if hit < failing => {
            eprintln!(
                "fault point {name}: failing hit {} (CRAWLER_FAULTS)",
                hit + 1
            );
            Err(InjectedFault(name))
        }
        Action::Error(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_action() {
        assert_eq!(
            parse("a.b=abort, c=error:3,d=error").unwrap(),
            vec![
                ("a.b".to_owned(), Action::Abort),
                ("c".to_owned(), Action::Error(3)),
                ("d".to_owned(), Action::Error(u64::MAX)),
            ]
        );
        assert_eq!(parse("").unwrap(), vec![]);
    }

    #[test]
    fn refuses_malformed_specs() {
        assert!(parse("a").is_err());
        assert!(parse("a=explode").is_err());
        assert!(parse("a=error:x").is_err());
        assert!(parse("a=abort:2").is_err());
    }
}
