#!/usr/bin/env bash
# A key pressed on an attached screen until every attached screen shows the journaled event,
# on an idle run and while a step prints 200 MB (FLOOD_MB to change).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
cargo run --release --quiet --example attach_latency -- target/release/tminus
