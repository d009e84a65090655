//! Running the user's shell commands (`-blocknotify`, `-startupnotify`,
//! `-shutdownnotify`), as Core's `runCommand` does, and the OS's texts for
//! I/O errors (Core's `SysErrorString`).

/// Runs `cmd` with `/bin/sh -c` and waits; a failure is logged, not returned.
pub fn run_command(cmd: &str) {
    match std::process::Command::new("/bin/sh")
        .arg("-c")
        .arg(cmd)
        .status()
    {
        Ok(status) if !status.success() => {
            tracing::warn!(
                "runCommand error: system({cmd}) returned {}",
                status.code().unwrap_or(-1)
            )
        }
        Ok(_) => {}
        Err(e) => tracing::warn!("runCommand error: system({cmd}) failed: {e}"),
    }
}

/// Runs `cmd` on a thread of its own, so the caller does not wait for it.
pub fn run_command_detached(cmd: &str) {
    let cmd = cmd.to_string();
    let _ = std::thread::Builder::new()
        .name("startupnotify".into())
        .spawn(move || run_command(&cmd));
}

/// The OS description of an I/O error without Rust's " (os error N)"
/// suffix: Core's `SysErrorString`, the text C's `strerror` gives.
pub fn sys_error_string(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}
