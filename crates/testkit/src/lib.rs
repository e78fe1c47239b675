//! Helpers shared by the end-to-end tests in the workspace's `tests/` folder.

pub mod cluster;
pub mod process;
pub mod receiver;
pub mod services;
pub mod site;
