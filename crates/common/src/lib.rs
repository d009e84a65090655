//! Shared foundations.
pub mod args;
pub mod chaintype;
pub mod config;
pub mod logging;
pub mod options;
pub mod settings;
pub mod time;
