#!/usr/bin/env bash
# Regenerates the Rust code for the IPC schemas (schema/*.capnp) and the
# interfaces traits (crates/interfaces) into crates/ipc/src/generated, and the
# round-trip test's fakes. With --check, regenerates into a temporary directory
# and fails if the committed code differs (CI runs this). Installs the capnp
# compiler with apt-get when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v capnp >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq capnproto
fi

dest=crates/ipc/src/generated
# The round-trip test's fakes of every trait (crates/ipc/tests/roundtrip.rs).
fakes=crates/ipc/tests/roundtrip/fakes.rs
if [ "${1:-}" = "--check" ]; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    mkdir -p "$tmp/gen"
    cargo run -q --locked -p ipc-codegen -- schema crates/interfaces/src "$tmp/gen" "$tmp/fakes.rs"
    find "$tmp" -name '*.rs' -exec rustfmt --edition 2021 {} +
    if ! diff -r "$tmp/gen" "$dest" >/dev/null || ! diff "$tmp/fakes.rs" "$fakes" >/dev/null; then
        { diff -ru "$dest" "$tmp/gen"; diff -u "$fakes" "$tmp/fakes.rs"; } | head -50 >&2 || true
        echo "Error: $dest or $fakes differs from what schema/ and crates/interfaces produce; run contrib/regen-ipc.sh" >&2
        exit 1
    fi
    echo "generated IPC code matches schema/ and crates/interfaces"
else
    rm -rf "$dest"
    mkdir -p "$dest"
    cargo run -q -p ipc-codegen -- schema crates/interfaces/src "$dest" "$fakes"
    # Formatted so that `cargo fmt --check` passes and diffs stay readable.
    find "$dest" "$fakes" -name '*.rs' -exec rustfmt --edition 2021 {} +
    echo "regenerated $dest and $fakes"
fi
