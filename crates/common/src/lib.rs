//! Shared foundations.
pub mod args;
pub mod chaintype;
pub mod config;
pub mod options;
pub mod settings;
