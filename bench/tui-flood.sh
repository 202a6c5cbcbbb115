#!/usr/bin/env bash
# Keypress-to-screen latency of the full screen while a step prints 200 MB (FLOOD_MB to change),
# against the same keypress on an idle run, and tminus's peak memory meanwhile.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
cargo run --release --quiet --example tui_flood -- target/release/tminus
