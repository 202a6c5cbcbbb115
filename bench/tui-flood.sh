#!/usr/bin/env bash
# The full screen as a lead meets it: its first frame after `tminus run`, a step printing 200 MB
# (FLOOD_MB to change) absorbed against tmux displaying the same bytes, keypress-to-screen latency
# meanwhile against an idle run, and the peak memory of the screen and of the conductor.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v tmux > /dev/null || echo "tmux is not installed: apt-get install tmux to compare"
cargo build --release --quiet
cargo run --release --quiet --example tui_flood -- target/release/tminus
