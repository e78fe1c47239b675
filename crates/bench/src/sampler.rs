//! Samples the memory and CPU time of the processes under test while a run goes on.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::oneshot;

use crate::procfs;

/// What one process used over a run.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessPeak {
    pub name: String,
    /// The kernel's high-water mark of resident memory (`VmHWM`), KiB.
    pub hwm_kib: u64,
    /// The largest `VmRSS` seen by sampling, KiB.
    pub max_rss_kib: u64,
    /// User plus system CPU time used while sampled (from the first sample to the last),
    /// seconds.
    pub cpu_secs: f64,
}

#[derive(Debug, Clone)]
struct Tracked {
    name: String,
    pid: u32,
    latest: procfs::Usage,
    max_rss_kib: u64,
    /// CPU ticks at the first sample, so processes that ran before the run (the broker,
    /// Redis, this benchmark) are charged only for the run.
    first_ticks: Option<u64>,
}

/// A background task reading `/proc` for each tracked process every `interval`.
pub struct Sampler {
    tracked: Arc<Mutex<Vec<Tracked>>>,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Sampler {
    /// Starts sampling `processes` (name, pid) now and every `interval`.
    pub fn start(processes: &[(String, u32)], interval: Duration) -> Sampler {
        let tracked: Vec<Tracked> = processes
            .iter()
            .map(|(name, pid)| Tracked {
                name: name.clone(),
                pid: *pid,
                latest: procfs::Usage::default(),
                max_rss_kib: 0,
                first_ticks: None,
            })
            .collect();
        let tracked = Arc::new(Mutex::new(tracked));
        let (stop, mut stopped) = oneshot::channel();
        let shared = Arc::clone(&tracked);
        let task = tokio::spawn(async move {
            let mut ticker = tokio::time::interval(interval);
            loop {
                tokio::select! {
                    _ = ticker.tick() => sample(&shared),
                    _ = &mut stopped => break,
                }
            }
        });
        Sampler {
            tracked,
            stop,
            task,
        }
    }

    /// Takes a last sample (call it while the processes still run) and stops.
    pub async fn finish(self) -> Vec<ProcessPeak> {
        sample(&self.tracked);
        let _ = self.stop.send(());
        let _ = self.task.await;
        let ticks_per_second = procfs::clock_ticks_per_second() as f64;
        let tracked = self.tracked.lock().map(|t| t.clone()).unwrap_or_default();
        tracked
            .into_iter()
            .map(|t| ProcessPeak {
                name: t.name,
                hwm_kib: t.latest.hwm_kib,
                max_rss_kib: t.max_rss_kib,
                cpu_secs: t
                    .latest
                    .cpu_ticks
                    .saturating_sub(t.first_ticks.unwrap_or(0)) as f64
                    / ticks_per_second,
            })
            .collect()
    }
}

/// Updates every tracked process that still runs; an exited one keeps its last reading,
/// which is why the high-water mark and CPU time only ever grow here.
fn sample(tracked: &Mutex<Vec<Tracked>>) {
    let Ok(mut tracked) = tracked.lock() else {
        return;
    };
    for process in tracked.iter_mut() {
        if let Some(usage) = procfs::read_usage(process.pid) {
            process.max_rss_kib = process.max_rss_kib.max(usage.rss_kib);
            process.first_ticks.get_or_insert(usage.cpu_ticks);
            process.latest = procfs::Usage {
                rss_kib: usage.rss_kib,
                hwm_kib: usage.hwm_kib.max(process.latest.hwm_kib),
                cpu_ticks: usage.cpu_ticks.max(process.latest.cpu_ticks),
            };
        }
    }
}
