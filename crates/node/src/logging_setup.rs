//! Maps the logging options onto `common::logging` at start-up.

use common::args::ArgsManager;
use common::logging;
use std::path::{Path, PathBuf};

/// The started logger's facts that the rest of init needs.
pub struct LoggingStarted {
    path: Option<PathBuf>,
}

impl LoggingStarted {
    /// Absolute path of debug.log, if logging to a file.
    pub fn log_path(&self) -> Option<PathBuf> {
        self.path.clone()
    }
}

pub use logging::from_args::setup_categories;

/// Opens debug.log (unless `-nodebuglogfile`) and the console output.
pub fn start(args: &ArgsManager, net_dir: &Path) -> Result<LoggingStarted, String> {
    setup_categories(args)?;
    let config = logging::from_args::log_config(args, net_dir);
    let path = config.file.clone();
    logging::start(config)?;
    Ok(LoggingStarted { path })
}

/// Reopens debug.log (after SIGHUP, e.g. for log rotation).
pub fn reopen_debug_log() {
    logging::reopen();
}
