#!/usr/bin/env bash
# Fuzzes the runbook loader on stable Rust: a million seeded mutations of every runbook in
# runbooks/ (and tests/fixtures/) through `parse` and the rendering of its problems, each under
# catch_unwind. Prints inputs, panics (0 expected), the slowest input and the wall time; a panic
# is printed with the flags that replay it. INPUTS and SEED change the run.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --release --quiet --example fuzz_runbooks -- --inputs "${INPUTS:-1000000}" --seed "${SEED:-1}"
