//! The logging options (`-debug`, `-debuglogfile`, `-printtoconsole`, …) read
//! from an `ArgsManager`, for every process that logs as `bitcoind` does.

use super::LogConfig;
use crate::args::ArgsManager;
use std::path::Path;

/// Applies `-debug`/`-debugexclude`/`-loglevel`; errors are Core's init texts.
pub fn setup_categories(args: &ArgsManager) -> Result<(), String> {
    super::setup_categories(
        &args.get_args("-debug"),
        &args.get_args("-debugexclude"),
        &args.get_args("-loglevel"),
    )
}

/// The logger configuration the options ask for; the debug.log path (unless
/// `-nodebuglogfile`) is made absolute against `net_dir`.
pub fn log_config(args: &ArgsManager, net_dir: &Path) -> LogConfig {
    let file = if args.is_arg_negated("-debuglogfile") {
        None
    } else {
        let name = args.get_path_arg("-debuglogfile", Path::new(super::DEFAULT_DEBUGLOGFILE));
        Some(if name.is_absolute() {
            name
        } else {
            net_dir.join(name)
        })
    };
    LogConfig {
        file,
        print_to_console: args
            .get_bool_arg("-printtoconsole", !args.get_bool_arg("-daemon", false)),
        timestamps: args.get_bool_arg("-logtimestamps", super::DEFAULT_LOGTIMESTAMPS),
        time_micros: args.get_bool_arg("-logtimemicros", super::DEFAULT_LOGTIMEMICROS),
        thread_names: args.get_bool_arg("-logthreadnames", super::DEFAULT_LOGTHREADNAMES),
        source_locations: args
            .get_bool_arg("-logsourcelocations", super::DEFAULT_LOGSOURCELOCATIONS),
        always_print_category_level: args
            .get_bool_arg("-loglevelalways", super::DEFAULT_LOGLEVELALWAYS),
        shrink: args.get_bool_arg("-shrinkdebugfile", super::default_shrink_debug_file()),
        rate_limit: args.get_bool_arg("-logratelimit", super::DEFAULT_LOGRATELIMIT),
        log_ips: args.get_bool_arg("-logips", super::DEFAULT_LOGIPS),
    }
}
