//! `bitcoin-gui`: bitcoin-qt's desktop wallet. Spawns `bitcoin-node -ipcfd N`
//! (which spawns the wallet), or attaches to a node with `-ipcconnect`.

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    std::process::exit(gui::run(argv));
}
