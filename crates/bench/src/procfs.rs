//! What Linux says about a running process under `/proc/<pid>`: resident memory now
//! (`VmRSS`), its high-water mark since start (`VmHWM`), and the CPU time it used.
//!
//! The high-water mark is the figure to report as peak memory: the kernel keeps it, so it
//! cannot miss a short spike between two samples. `VmRSS` is sampled as well, as a check.

use std::process::Command;

/// One reading of a process's memory (KiB) and CPU time (clock ticks).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub rss_kib: u64,
    pub hwm_kib: u64,
    pub cpu_ticks: u64,
}

/// `VmRSS` and `VmHWM` (in KiB) from the text of `/proc/<pid>/status`. `None` for a zombie
/// or kernel thread, whose status has no memory lines.
pub fn parse_memory(status: &str) -> Option<(u64, u64)> {
    let field = |name: &str| {
        status.lines().find_map(|line| {
            let value = line.strip_prefix(name)?.strip_prefix(':')?;
            value.split_whitespace().next()?.parse::<u64>().ok()
        })
    };
    Some((field("VmRSS")?, field("VmHWM")?))
}

/// User plus system CPU time, in clock ticks, from the text of `/proc/<pid>/stat`.
pub fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    // The command name (field 2) is in parentheses and may contain spaces, so the fields
    // are counted from the last `)`: state is then field 3, utime 14 and stime 15.
    let after_name = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// The process's usage now, or `None` once it has exited.
pub fn read_usage(pid: u32) -> Option<Usage> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let (rss_kib, hwm_kib) = parse_memory(&status)?;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    Some(Usage {
        rss_kib,
        hwm_kib,
        cpu_ticks: parse_cpu_ticks(&stat).unwrap_or(0),
    })
}

/// Clock ticks per second for `/proc/<pid>/stat` times (`getconf CLK_TCK`, 100 on every
/// common Linux build when `getconf` is missing).
pub fn clock_ticks_per_second() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .filter(|ticks| *ticks > 0)
        .unwrap_or(100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rss_and_high_water_mark_from_status() {
        let status = "Name:\tfetcher-worker\nVmPeak:\t  900000 kB\nVmHWM:\t   51234 kB\n\
                      VmRSS:\t   40960 kB\nThreads:\t5\n";
        assert_eq!(parse_memory(status), Some((40960, 51234)));
        // A zombie's status has no memory lines.
        assert_eq!(
            parse_memory("Name:\tcoordinator\nState:\tZ (zombie)\n"),
            None
        );
    }

    #[test]
    fn adds_user_and_system_time_even_with_spaces_in_the_name() {
        let stat = "4242 (fetcher worker) S 1 4242 4242 0 -1 4194304 1000 0 0 0 \
                    250 40 0 0 20 0 9 0 12345 100000 2000";
        assert_eq!(parse_cpu_ticks(stat), Some(290));
        assert_eq!(parse_cpu_ticks("4242 (x) S 1"), None);
    }

    #[test]
    fn reads_this_process() {
        let usage = read_usage(std::process::id()).expect("own /proc entry");
        assert!(
            usage.hwm_kib >= usage.rss_kib && usage.rss_kib > 0,
            "{usage:?}"
        );
    }
}
