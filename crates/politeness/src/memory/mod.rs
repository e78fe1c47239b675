//! The in-memory stores of the embedded mode: one process, one mutex per store, which gives
//! the same atomicity the Redis scripts give across processes.
//!
//! Time is tokio's clock in whole milliseconds since the store was made, the same
//! resolution the Redis store uses, so tests may pause it.

mod gate;
mod robots;

use std::collections::HashMap;

use tokio::time::Instant;

use crate::lock;
pub use gate::MemoryGate;
pub use robots::MemoryRobotsStore;

/// Milliseconds since `epoch` on tokio's clock.
fn elapsed_ms(epoch: Instant) -> u64 {
    u64::try_from(epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// A map of per-host entries that forgets idle hosts, so a long embedded crawl over many
/// hosts does not grow without bound. The sweep runs when the map doubled since the last
/// one, which keeps its cost amortised constant per insert.
struct HostMap<V> {
    entries: HashMap<String, V>,
    sweep_at: usize,
}

impl<V> HostMap<V> {
    const MIN_SWEEP: usize = 1024;

    fn new() -> Self {
        HostMap {
            entries: HashMap::new(),
            sweep_at: Self::MIN_SWEEP,
        }
    }

    fn sweep_if_large(&mut self, keep: impl FnMut(&String, &mut V) -> bool) {
        if self.entries.len() >= self.sweep_at {
            self.entries.retain(keep);
            self.sweep_at = (self.entries.len() * 2).max(Self::MIN_SWEEP);
        }
    }
}
