//! `bitcoin-wallet`: the wallet process. Spawned by `bitcoin-node` as
//! `bitcoin-wallet -ipcfd N`, or started on its own with `-ipcconnect` to
//! attach to a node that listens with `-ipcbind`. With neither it is Core's
//! offline wallet tool (`create`, `info`, `dump`, `createfromdump`).

mod process;

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    std::process::exit(process::run(argv));
}
