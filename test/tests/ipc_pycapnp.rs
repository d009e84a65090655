//! Runs the pycapnp tests in `test/python/`: clients of our node as Core's
//! interface_ipc tests connect, and Core's mining flows against the
//! `ipc-test-server` stand-in. `contrib/test.sh` installs pycapnp.

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
