//! Maps the logging options onto `common::logging` at start-up.

use common::args::ArgsManager;
use common::logging::{self, LogConfig};
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

/// Applies `-debug`/`-debugexclude`/`-loglevel`; errors are Core's init texts.
pub fn setup_categories(args: &ArgsManager) -> Result<(), String> {
    logging::setup_categories(
        &args.get_args("-debug"),
        &args.get_args("-debugexclude"),
        &args.get_args("-loglevel"),
    )
}

/// Opens debug.log (unless `-nodebuglogfile`) and the console output.
pub fn start(args: &ArgsManager, net_dir: &Path) -> Result<LoggingStarted, String> {
    setup_categories(args)?;
    let file = if args.is_arg_negated("-debuglogfile") {
        None
    } else {
        let name = args.get_path_arg("-debuglogfile", Path::new("debug.log"));
        Some(if name.is_absolute() {
            name
        } else {
            net_dir.join(name)
        })
    };
    let config = LogConfig {
        file: file.clone(),
        print_to_console: args
            .get_bool_arg("-printtoconsole", !args.get_bool_arg("-daemon", false)),
        timestamps: args.get_bool_arg("-logtimestamps", true),
        time_micros: args.get_bool_arg("-logtimemicros", false),
        thread_names: args.get_bool_arg("-logthreadnames", false),
        source_locations: args.get_bool_arg("-logsourcelocations", false),
        always_print_category_level: args
            .get_bool_arg("-loglevelalways", logging::DEFAULT_LOGLEVELALWAYS),
        shrink: args.get_bool_arg("-shrinkdebugfile", logging::default_shrink_debug_file()),
        rate_limit: args.get_bool_arg("-logratelimit", logging::DEFAULT_LOGRATELIMIT),
        log_ips: args.get_bool_arg("-logips", logging::DEFAULT_LOGIPS),
    };
    logging::start(config)?;
    Ok(LoggingStarted { path: file })
}

/// Reopens debug.log (after SIGHUP, e.g. for log rotation).
pub fn reopen_debug_log() {
    logging::reopen();
}
