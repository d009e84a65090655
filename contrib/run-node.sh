#!/usr/bin/env bash
# Builds bitcoin-node and the bitcoin-wallet process it spawns, and runs the node
# on regtest in the foreground, logging to the console. Extra arguments are
# passed to the node (e.g. -datadir=/tmp/x).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --locked -p bitcoin-node -p bitcoin-wallet
exec target/debug/bitcoin-node -regtest -printtoconsole "$@"
