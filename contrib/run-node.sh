#!/usr/bin/env bash
# Builds bitcoin-node and runs it on regtest in the foreground, logging to the
# console. Extra arguments are passed to the node (e.g. -datadir=/tmp/x).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --locked -p bitcoin-node
exec target/debug/bitcoin-node -regtest -printtoconsole "$@"
