//! A coordinator's refusal (`{field, message}`) as the one line a user reads.
//!
//! The coordinator's messages begin with the field's name and may span lines: a regex
//! error from the `regex` crate draws the pattern with a caret under the fault. On a
//! terminal that reads as several errors, so the lines are folded into one that keeps the
//! summary and the cause.

/// Folds a message into one line: the first line, then the last, without the `error: `
/// the `regex` crate puts before its cause. `a: regex parse error:\n  (\n  ^\nerror:
/// unclosed group` becomes `a: regex parse error: unclosed group`.
pub fn one_line(message: &str) -> String {
    let mut lines = message.lines().map(str::trim).filter(|l| !l.is_empty());
    let Some(first) = lines.next() else {
        return String::new();
    };
    match lines.next_back() {
        None => first.to_string(),
        Some(last) => {
            let cause = last.strip_prefix("error:").map_or(last, str::trim_start);
            format!("{}: {cause}", first.trim_end_matches(':'))
        }
    }
}

/// The refusal of `field` with the message's own mention of the field replaced by `shown`,
/// the name the user typed (a flag such as `--include`): `url_regexp_include is not a
/// valid regex` becomes `--include is not a valid regex`, and `start_url: not ftp`
/// becomes `URL: not ftp`. A message that does not mention the field is prefixed with it.
pub fn refusal_line(field: &str, shown: &str, message: &str) -> String {
    let message = one_line(message);
    match message.strip_prefix(field) {
        Some(rest) if rest.starts_with(':') => format!("{shown}{rest}"),
        Some(rest) if rest.starts_with(' ') => format!("{shown}{rest}"),
        _ => format!("{shown}: {message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REGEX_ERROR: &str = "url_regexp_include is not a valid regex: regex parse error:\n    (\n    ^\nerror: unclosed group";

    #[test]
    fn a_regex_error_folds_into_its_summary_and_cause() {
        assert_eq!(
            one_line(REGEX_ERROR),
            "url_regexp_include is not a valid regex: regex parse error: unclosed group"
        );
        assert_eq!(
            one_line("max_depth must be a number"),
            "max_depth must be a number"
        );
        assert_eq!(one_line(""), "");
    }

    #[test]
    fn the_field_is_named_as_the_user_typed_it_once() {
        assert_eq!(
            refusal_line("url_regexp_include", "--include", REGEX_ERROR),
            "--include is not a valid regex: regex parse error: unclosed group"
        );
        assert_eq!(
            refusal_line("start_url", "URL", "start_url: only http and https URLs"),
            "URL: only http and https URLs"
        );
        assert_eq!(
            refusal_line("crawl_budget", "--budget", "too small for one page"),
            "--budget: too small for one page"
        );
        // A field that is only the beginning of the message's first word is no mention.
        assert_eq!(
            refusal_line("max", "--max", "max_depth is too deep"),
            "--max: max_depth is too deep"
        );
    }
}
