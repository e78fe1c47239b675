//! Helpers shared by the end-to-end tests in the workspace's `tests/` folder.

pub mod process;
pub mod services;
pub mod cluster;
pub mod receiver;
pub mod site;
