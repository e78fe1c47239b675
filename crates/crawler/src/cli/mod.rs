pub mod client;
pub mod progress;
pub mod sink;
