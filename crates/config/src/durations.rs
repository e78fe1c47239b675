//! Human-friendly duration lists such as `30s,1m,5m,1h,1d`.

use std::time::Duration;

/// Parses a comma-separated list of durations with a unit suffix: `ms`, `s`, `m`, `h`, `d`.
pub fn parse_duration_list(text: &str) -> Result<Vec<Duration>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(parse_one)
        .collect()
}

fn parse_one(item: &str) -> Result<Duration, String> {
    let split = item
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("`{item}` needs a unit (ms, s, m, h or d)"))?;
    let (number, unit) = item.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{item}` does not start with a number"))?;
    let ms = match unit {
        "ms" => n,
        "s" => n * 1_000,
        "m" => n * 60_000,
        "h" => n * 3_600_000,
        "d" => n * 86_400_000,
        _ => return Err(format!("`{item}` has unknown unit `{unit}`")),
    };
    Ok(Duration::from_millis(ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_default_schedule() {
        let list = parse_duration_list("30s,1m,5m,30m,1h,1d").unwrap();
        assert_eq!(list[0], Duration::from_secs(30));
        assert_eq!(list[5], Duration::from_secs(86_400));
        assert_eq!(
            parse_duration_list("250ms").unwrap()[0],
            Duration::from_millis(250)
        );
        assert!(parse_duration_list("5").is_err());
        assert!(parse_duration_list("5y").is_err());
    }
}
