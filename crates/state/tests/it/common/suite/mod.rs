//! The conformance suite: every behaviour both state stores must share, written once
//! against `Arc<dyn StateStore>`.

mod admission;
mod concurrency;
mod data;
mod lifecycle;
mod reads;
mod replays;
mod results;
mod seeds;
mod summaries;

pub use admission::*;
pub use concurrency::*;
pub use data::*;
pub use lifecycle::*;
pub use reads::*;
pub use replays::*;
pub use results::*;
pub use seeds::*;
pub use summaries::*;
