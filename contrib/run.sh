#!/usr/bin/env bash
# Runs the product on regtest: builds bitcoin-gui, bitcoin-node and
# bitcoin-wallet, then starts bitcoin-gui, which spawns the node, which spawns
# the wallet. Without a display ($DISPLAY unset) it runs the node in the
# foreground instead (contrib/run-node.sh). Extra arguments go to the GUI and
# through it to the node (e.g. -datadir=/tmp/x).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${DISPLAY:-}" ]; then
    echo "No display (DISPLAY is unset): running the node without the GUI." >&2
    exec contrib/run-node.sh "$@"
fi
contrib/gui-deps.sh
cargo build --locked -p bitcoin-gui -p bitcoin-node -p bitcoin-wallet
exec target/debug/bitcoin-gui -regtest "$@"
