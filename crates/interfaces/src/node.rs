//! `Node`: what a GUI process asks of the node (first version; grows with the
//! GUI issues, following Core's multiprocess branch).

use crate::{BilingualStr, Result};

/// The node, seen from another process.
pub trait Node: Send + Sync {
    /// Starts logging as configured.
    fn init_logging(&self) -> Result<()>;
    /// Applies option interactions (`-connect` implies `-nodnsseed`, …).
    fn init_parameter_interaction(&self) -> Result<()>;
    /// Current warnings.
    fn get_warnings(&self) -> Result<BilingualStr>;
    /// Enabled log categories (bit mask).
    fn get_log_categories(&self) -> Result<u64>;
    /// Exit status once the node has stopped.
    fn get_exit_status(&self) -> Result<i32>;
}
