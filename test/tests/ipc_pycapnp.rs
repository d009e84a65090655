//! Runs `test/python/ipc_pycapnp.py` (pycapnp clients of our node, as Core's
//! interface_ipc tests connect). `contrib/test.sh` installs pycapnp.

use std::process::Command;

#[test]
fn pycapnp_clients_work_against_our_node() {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("python/ipc_pycapnp.py");
    let out = Command::new("python3")
        .arg(&script)
        .arg(functional::node_binary())
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
