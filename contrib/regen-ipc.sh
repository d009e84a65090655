#!/usr/bin/env bash
# Regenerates the Rust code for the IPC schemas (schema/*.capnp) into
# crates/ipc/src/generated. With --check, regenerates into a temporary directory
# and fails if the committed code differs (CI runs this). Installs the capnp
# compiler with apt-get when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v capnp >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq capnproto
fi

dest=crates/ipc/src/generated
if [ "${1:-}" = "--check" ]; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    cargo run -q --locked -p ipc-codegen -- schema crates/interfaces/src "$tmp"
    find "$tmp" -name '*.rs' -exec rustfmt --edition 2021 {} +
    if ! diff -r "$tmp" "$dest" >/dev/null; then
        diff -ru "$dest" "$tmp" | head -50 >&2 || true
        echo "Error: $dest differs from what schema/ produces; run contrib/regen-ipc.sh" >&2
        exit 1
    fi
    echo "generated IPC code matches schema/"
else
    rm -rf "$dest"
    mkdir -p "$dest"
    cargo run -q -p ipc-codegen -- schema crates/interfaces/src "$dest"
    # Formatted so that `cargo fmt --check` passes and diffs stay readable.
    find "$dest" -name '*.rs' -exec rustfmt --edition 2021 {} +
    echo "regenerated $dest"
fi
