//! Runs the pycapnp tests in `test/python/`: clients of our node as Core's
//! interface_ipc tests connect, and Core's mining flows against the
//! `ipc-test-server` stand-in. `contrib/test.sh` installs pycapnp.

// Dependencies of other targets of this package; `unused_crate_dependencies`
// checks every target on its own.
use {
    base64 as _, bitcoin as _, consensus as _, hex as _, libc as _, serde_json as _, tracing as _,
    tracing_subscriber as _,
};

use std::path::{Path, PathBuf};
use std::process::Command;

fn run_python(script: &str, target: PathBuf) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("python")
        .join(script);
    let out = Command::new("python3")
        .arg(&script)
        .arg(target)
        .output()
        .expect("python3 must be installed (contrib/test.sh installs it with pycapnp)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "pycapnp IPC tests failed (is pycapnp installed? run contrib/test.sh)\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
}

#[test]
fn pycapnp_clients_work_against_our_node() {
    run_python("ipc_pycapnp.py", functional::node_binary());
}

#[test]
fn cores_mining_flows_work_against_our_runtime() {
    // Built by cargo for this package's tests.
    run_python(
        "ipc_mining_flows.py",
        PathBuf::from(env!("CARGO_BIN_EXE_ipc-test-server")),
    );
}

#[test]
fn our_client_works_against_a_pycapnp_server() {
    use interfaces::init::Init;
    use std::io::BufRead;
    let dir = tempfile::tempdir().expect("tmp");
    let sock = dir.path().join("py.sock");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("python/ipc_pycapnp_server.py");
    let mut server = Command::new("python3")
        .arg(&script)
        .arg(&sock)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 (contrib/test.sh installs it with pycapnp)");
    let mut line = String::new();
    let stdout = server.stdout.take().expect("stdout");
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .expect("ready line");
    assert_eq!(line.trim(), "ready", "pycapnp server did not start");

    let ipc = ipc::Ipc::new("test-client").expect("loop");
    let init = ipc
        .connect_address(
            &format!("unix:{}", sock.display()),
            dir.path(),
            "bitcoin-node",
        )
        .expect("connect to pycapnp server");
    let echo = init.make_echo().expect("makeEcho").expect("echo");
    assert_eq!(echo.echo("hello from rust").unwrap(), "hello from rust");
    // Our context.thread is the pipelined makeThread result, named after us.
    let name = echo.echo("whoami").unwrap();
    assert!(
        name.starts_with("pyserver (from ") && name.contains('/'),
        "{name}"
    );
    match echo.echo("fail") {
        Err(interfaces::Error::Remote(m)) => assert!(m.contains("python echo failed"), "{m}"),
        other => panic!("expected a remote error, got {other:?}"),
    }
    drop(echo);
    drop(init);
    drop(ipc);
    drop(server.stdin.take());
    assert!(server.wait().expect("wait").success());
}
