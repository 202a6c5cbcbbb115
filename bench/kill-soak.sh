#!/usr/bin/env bash
# kill -9 of the lead at 20 random moments (KILLS and SEED to change), each run resumed to its
# end: prints the double runs, lost lines, broken chains and resumes that did not complete.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
cargo run --release --quiet --example kill_soak -- target/release/tminus "${KILLS:-20}" "${SEED:-1623}"
