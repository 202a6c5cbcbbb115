#!/usr/bin/env bash
# Demo step "error-budget": five samples of error rate and p95 latency. Read-only.
set -euo pipefail

for s in 1 2 3 4 5; do
  echo "  sample $s: error rate 0.02%, p95 $((130 + s * 3)) ms"
  sleep 0.15
done
echo "within budget: error rate < 0.1%, p95 < 200 ms"
