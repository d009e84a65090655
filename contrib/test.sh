#!/usr/bin/env bash
# Runs every test of the project: formatting, lints, unit tests and the functional
# tests that spawn the built binaries. Installs what it needs; safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
{ command -v cc && command -v c++; } >/dev/null 2>&1 || need_apt+=(build-essential)
command -v sha256sum >/dev/null 2>&1 || need_apt+=(coreutils)
command -v python3 >/dev/null 2>&1 || need_apt+=(python3)
python3 -m pip --version >/dev/null 2>&1 || need_apt+=(python3-pip)
if [ ${#need_apt[@]} -gt 0 ]; then
    apt-get update -qq && apt-get install -y -qq "${need_apt[@]}"
fi
# The GUI's window tests run bitcoin-gui under Xvfb and drive it with xdotool.
contrib/gui-deps.sh --test
# pycapnp: the IPC tests connect to our node with it, as Core's tests do.
python3 -c 'import capnp' >/dev/null 2>&1 ||
    python3 -m pip install --quiet pycapnp ||
    python3 -m pip install --quiet --break-system-packages pycapnp

cargo fmt --all -- --check
# The committed Rust for schema/*.capnp must be what the schemas produce
# (installs the small capnproto package when the compiler is missing).
contrib/regen-ipc.sh --check
cargo clippy --workspace --all-targets --locked -- -D warnings
# The functional tests spawn target/debug/bitcoin-node, so build it first.
cargo build --workspace --locked
cargo test --workspace --locked -- --test-threads=4
