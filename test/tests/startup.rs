//! Start-up, shutdown, options, datadir and config behaviour of the node binary.

// Dependencies of other targets of this package; `unused_crate_dependencies`
// checks every target on its own.
use {
    base64 as _, bitcoin as _, consensus as _, hex as _, interfaces as _, ipc as _, tempfile as _,
    tracing as _, tracing_subscriber as _,
};

use functional::{run_binary, TestNode};
use serde_json::json;

#[test]
fn help_and_version_exit_zero() {
    let (code, out, err) = run_binary(&["-h".into()]);
    assert_eq!(code, 0);
    assert!(out.contains("Options:"), "{out}");
    assert!(out.contains("-rpcport=<port>"));
    assert!(err.is_empty());
    let (code, out, _) = run_binary(&["-version".into()]);
    assert_eq!(code, 0);
    assert!(out.contains("version"));
}

#[test]
fn unknown_option_and_loose_token_are_errors() {
    let (code, _, err) = run_binary(&["-fakearg".into()]);
    assert_eq!(code, 1);
    assert_eq!(
        err.trim(),
        "Error: Error parsing command line arguments: Invalid parameter -fakearg"
    );
    let (code, _, err) = run_binary(&["stray".into()]);
    assert_eq!(code, 1);
    assert!(err.contains("unexpected token 'stray'"), "{err}");
}

#[test]
fn missing_datadir_is_an_init_error() {
    let (code, _, err) = run_binary(&["-datadir=/nonexistent/definitely/not/here".into()]);
    assert_eq!(code, 1);
    assert_eq!(
        err.trim(),
        "Error: Specified data directory \"/nonexistent/definitely/not/here\" does not exist."
    );
}

#[test]
fn starts_stops_cleanly_and_lays_out_datadir() {
    let mut node = TestNode::new();
    node.start(&[]);
    let chain = node.chain_path();
    assert!(chain.join("wallets").is_dir());
    assert!(chain.join("debug.log").is_file());
    assert!(chain.join("bitcoind.pid").is_file());
    assert!(chain.join(".cookie").is_file());
    let cookie = node.cookie().unwrap();
    assert!(cookie.starts_with("__cookie__:"));
    assert_eq!(cookie.len(), "__cookie__:".len() + 64);
    assert_eq!(node.rpc("getblockcount", json!([])), json!(0));
    assert_eq!(node.rpc("getmempoolinfo", json!([]))["loaded"], json!(true));
    let stderr = node.stop();
    assert_eq!(stderr, "");
    assert!(
        !chain.join(".cookie").exists(),
        "cookie removed at shutdown"
    );
    assert!(
        !chain.join("bitcoind.pid").exists(),
        "pid file removed at shutdown"
    );
    assert!(node.debug_log().contains("Shutdown done"));
}

#[test]
fn sigterm_and_sigint_shut_down_cleanly() {
    for sig in [libc::SIGTERM, libc::SIGINT] {
        let mut node = TestNode::new();
        node.start(&[]);
        node.signal(sig);
        assert_eq!(node.wait_for_exit(0), "");
    }
}

#[test]
fn second_instance_cannot_lock_datadir() {
    let mut node = TestNode::new();
    node.start(&[]);
    let chain = node.chain_path();
    let other = TestNode::new();
    let datadir_arg = format!("-datadir={}", node.datadir.display());
    other.assert_start_raises_init_error(
        &[&datadir_arg, "-noserver"],
        &format!("Error: Cannot obtain a lock on directory {}. Bitcoin Core is probably already running.", chain.display()),
    );
    // The failed second instance must not delete the first one's files.
    assert!(chain.join(".cookie").exists());
    assert!(chain.join("bitcoind.pid").exists());
    node.stop();
}

#[test]
fn garbage_config_lines_are_rejected_and_unknown_keys_ignored() {
    let node = TestNode::new();
    node.append_config("this line has no equals sign");
    let (code, _, err) = node.run_to_exit(&[]);
    assert_eq!(code, 1);
    assert!(
        err.starts_with("Error: Error reading configuration file: parse error on line"),
        "{err}"
    );

    let mut node = TestNode::new();
    node.append_config("totallyunknownkey=1");
    node.start(&[]);
    node.stop();
    // The key sits in the [regtest] section, so Core names it with that prefix.
    assert!(node
        .debug_log()
        .contains("Ignoring unknown configuration value regtest.totallyunknownkey"));
}

#[test]
fn uacomment_checks() {
    let mut node = TestNode::new();
    node.start(&["-uacomment=foo"]);
    let sub = node.rpc("getnetworkinfo", json!([]))["subversion"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(sub.ends_with("(testnode0; foo)/"), "{sub}");
    node.stop();
    node.assert_start_raises_init_error(
        &["-uacomment=("],
        "Error: User Agent comment (() contains unsafe characters.",
    );
}

#[test]
fn pid_file_option_and_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let mut node = TestNode::new();
    node.start(&["-pid=custom.pid"]);
    let pid_path = node.chain_path().join("custom.pid");
    let pid = std::fs::read_to_string(&pid_path).unwrap();
    assert_eq!(pid.trim(), node.pid().unwrap().to_string());
    let mode = std::fs::metadata(node.chain_path())
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o700);
    let mode = std::fs::metadata(node.chain_path().join("debug.log"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    node.stop();
    assert!(!pid_path.exists());
}

#[test]
fn startup_and_shutdown_notify_run_commands() {
    let mut node = TestNode::new();
    let start_file = node.datadir.join("started");
    let stop_file = node.datadir.join("stopped");
    let a = format!("-startupnotify=touch {}", start_file.display());
    let b = format!("-shutdownnotify=touch {}", stop_file.display());
    node.start(&[&a, &b]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !start_file.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(start_file.exists());
    node.stop();
    assert!(stop_file.exists());
}
