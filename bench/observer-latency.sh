#!/usr/bin/env bash
# Time from a lead's append to an observer's screen state (its folded RunState), with 1, 10 and
# 50 observers, on SQLite and on PostgreSQL; prints p50 and p99 in ms against the 100 ms goal.
# PostgreSQL: TMINUS_BENCH_POSTGRES_URL (default: this machine's test database).
set -euo pipefail
cd "$(dirname "$0")/.."
export TMINUS_BENCH_POSTGRES_URL="${TMINUS_BENCH_POSTGRES_URL-postgres://postgres@127.0.0.1:5432/test}"
cargo run --release --quiet --example observer_latency
