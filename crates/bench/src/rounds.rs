//! Several rounds of every configuration, each reduced to its median round. The machine is
//! shared and one crawl of ten seconds can take half as long again in the next round, so
//! the configurations run interleaved (1 worker, 2 workers, embedded, then again) and the
//! report shows the round with the median wall time, with every round's wall time beside it.

use crate::outcome::RunOutcome;

/// The median round by wall time (the lower middle one for an even count), carrying every
/// round's wall time and every round's problems. `None` for no rounds.
pub fn median_round(rounds: Vec<RunOutcome>) -> Option<RunOutcome> {
    let walls: Vec<_> = rounds.iter().map(|r| r.wall).collect();
    let problems: Vec<String> = rounds
        .iter()
        .enumerate()
        .flat_map(|(n, round)| {
            round
                .problems
                .iter()
                .map(move |p| format!("round {}: {p}", n + 1))
        })
        .collect();
    let mut sorted = rounds;
    sorted.sort_by_key(|r| r.wall);
    let middle = sorted.len().checked_sub(1)? / 2;
    let mut median = sorted.swap_remove(middle);
    median.round_walls = walls;
    median.problems = problems;
    Some(median)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn round(wall_secs: u64, problem: Option<&str>) -> RunOutcome {
        RunOutcome {
            label: "one".into(),
            pages: 100,
            wall: Duration::from_secs(wall_secs),
            round_walls: Vec::new(),
            webhooks: None,
            processes: Vec::new(),
            context: Vec::new(),
            problems: problem.map(str::to_string).into_iter().collect(),
        }
    }

    #[test]
    fn keeps_the_median_round_and_every_rounds_wall_time_and_problems() {
        let median = median_round(vec![
            round(14, None),
            round(9, Some("lost a page")),
            round(10, None),
        ])
        .expect("a median");
        assert_eq!(median.wall, Duration::from_secs(10));
        assert_eq!(
            median.round_walls,
            [14, 9, 10].map(Duration::from_secs).to_vec()
        );
        assert_eq!(median.problems, ["round 2: lost a page"]);
        assert!(median_round(Vec::new()).is_none());
    }
}
