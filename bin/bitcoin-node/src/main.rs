//! `bitcoin-node`: drop-in replacement for `bitcoind`.

fn main() {
    common::logging::install();
    let code = node::init::run(std::env::args().collect());
    std::process::exit(code);
}
