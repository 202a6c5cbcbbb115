#!/usr/bin/env bash
# A sign-off from another machine through a shared PostgreSQL journal: from the signer's inbox
# write to the decision journaled by the lead's conductor, over 50 gates; p50 and p99 in ms
# against the 100 ms goal. PostgreSQL: TMINUS_BENCH_POSTGRES_URL (default: this machine's).
set -euo pipefail
cd "$(dirname "$0")/.."
export TMINUS_BENCH_POSTGRES_URL="${TMINUS_BENCH_POSTGRES_URL-postgres://postgres@127.0.0.1:5432/test}"
cargo build --release --quiet
cargo run --release --quiet --example sign_latency -- target/release/tminus
