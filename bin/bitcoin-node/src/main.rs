//! `bitcoin-node`: drop-in replacement for `bitcoind`.

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    // `bitcoin-node -ipcfd N`: spawned by another process to serve it over IPC.
    if let Some(code) = node::ipc_setup::run_spawned(&argv) {
        std::process::exit(code);
    }
    common::logging::install();
    let code = node::init::run(argv);
    std::process::exit(code);
}
