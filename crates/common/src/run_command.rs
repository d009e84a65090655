//! Running a helper program and reading one JSON value from its output, as
//! Core's `RunCommandParseJSON` does for external signers (`-signer`).
//!
//! The program's output is untrusted: whatever it prints or however it
//! ends, the caller gets a value or an error text, never a panic.

use std::io::{Read, Write};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::system::sys_error_string;

/// Most bytes kept of the program's stdout and of its stderr; the rest is
/// read and dropped, so a chatty program cannot exhaust memory or block on
/// a full pipe.
const MAX_OUTPUT: u64 = 16 << 20;

/// Splits a `-signer` command line into program and arguments at spaces
/// and tabs (Core's `subprocess::util::split`). No quoting, as in Core;
/// unlike Core, runs of separators make no empty arguments.
pub fn split_command(command: &str) -> Vec<String> {
    command
        .split([' ', '\t'])
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Runs `args` (program first), writes `stdin` to it, and parses the first
/// line of its stdout as JSON. Errors carry Core's texts: the program
/// cannot start ("execve failed: …"), exits non-zero ("RunCommandParseJSON
/// error: process(…) returned N: <first stderr line>"), or prints no JSON
/// ("Unable to parse JSON: <first stdout line>"). No arguments give `null`.
pub fn run_command_parse_json(args: &[String], stdin: &str) -> Result<Value, String> {
    let Some((program, rest)) = args.split_first() else {
        return Ok(Value::Null);
    };
    let mut child = Command::new(program)
        .args(rest)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("execve failed: {}", sys_error_string(&e)))?;
    // Written on a thread of its own while the outputs are read, so a
    // program that answers before reading all its input cannot deadlock us.
    let writer = child.stdin.take().map(|mut pipe| {
        let input = stdin.as_bytes().to_vec();
        std::thread::spawn(move || {
            // A program that exits without reading is not an error here;
            // its exit status says what happened.
            let _ = pipe.write_all(&input);
        })
    });
    let err_reader = child
        .stderr
        .take()
        .map(|pipe| std::thread::spawn(move || read_capped(pipe)));
    let out = child.stdout.take().map(read_capped).unwrap_or_default();
    let err = err_reader.and_then(|h| h.join().ok()).unwrap_or_default();
    if let Some(w) = writer {
        let _ = w.join();
    }
    let status = child
        .wait()
        .map_err(|e| format!("waitpid failed: {}", sys_error_string(&e)))?;
    let code = exit_code(&status);
    if code != 0 {
        return Err(format!(
            "RunCommandParseJSON error: process({}) returned {code}: {}\n",
            args.join(" "),
            first_line(&err)
        ));
    }
    let line = first_line(&out);
    serde_json::from_str(&line).map_err(|_| format!("Unable to parse JSON: {line}"))
}

/// Core's `retcode()`: the exit status, or the signal that ended the
/// program.
fn exit_code(status: &std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status.code().or_else(|| status.signal()).unwrap_or(255)
}

/// Reads `pipe` to its end, keeping at most [`MAX_OUTPUT`] bytes.
fn read_capped(pipe: impl Read) -> Vec<u8> {
    let mut pipe = pipe;
    let mut kept = Vec::new();
    let _ = (&mut pipe).take(MAX_OUTPUT).read_to_end(&mut kept);
    let _ = std::io::copy(&mut pipe, &mut std::io::sink());
    kept
}

/// The text up to the first newline (Core reads one `getline`).
fn first_line(bytes: &[u8]) -> String {
    let line = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    String::from_utf8_lossy(line).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Vec<String> {
        vec!["/bin/sh".into(), "-c".into(), script.into()]
    }

    #[test]
    fn parses_the_first_line_of_stdout() {
        let v = run_command_parse_json(&sh("echo '{\"a\": 1}'; echo garbage"), "").unwrap();
        assert_eq!(v, serde_json::json!({"a": 1}));
    }

    #[test]
    fn passes_stdin() {
        let v = run_command_parse_json(&sh("read x; echo \"[\\\"$x\\\"]\""), "signtx abc").unwrap();
        assert_eq!(v, serde_json::json!(["signtx abc"]));
    }

    #[test]
    fn no_arguments_is_null() {
        assert_eq!(run_command_parse_json(&[], "").unwrap(), Value::Null);
    }

    #[test]
    fn errors_have_cores_texts() {
        let e = run_command_parse_json(&["/nonexistent/signer".into()], "").unwrap_err();
        assert_eq!(e, "execve failed: No such file or directory");
        let e =
            run_command_parse_json(&sh("echo oops >&2; echo more >&2; exit 2"), "").unwrap_err();
        assert_eq!(
            e,
            "RunCommandParseJSON error: process(/bin/sh -c echo oops >&2; echo more >&2; exit 2) returned 2: oops\n"
        );
        let e = run_command_parse_json(&sh("echo '{\"invalid json\"}'"), "").unwrap_err();
        assert_eq!(e, "Unable to parse JSON: {\"invalid json\"}");
        let e = run_command_parse_json(&sh("true"), "").unwrap_err();
        assert_eq!(e, "Unable to parse JSON: ");
    }

    #[test]
    fn a_program_killed_by_a_signal_reports_the_signal() {
        let e = run_command_parse_json(&sh("kill -9 $$"), "").unwrap_err();
        assert!(e.contains(" returned 9: "), "{e}");
    }

    #[test]
    fn a_program_ignoring_its_input_is_not_stuck() {
        // More than a pipe buffer of input that is never read.
        let big = "x".repeat(1 << 20);
        let v = run_command_parse_json(&sh("echo 1"), &big).unwrap();
        assert_eq!(v, serde_json::json!(1));
    }

    #[test]
    fn splits_like_core() {
        assert_eq!(
            split_command("python3  /a/signer.py\t--x"),
            ["python3", "/a/signer.py", "--x"]
        );
        assert!(split_command("").is_empty());
    }
}
