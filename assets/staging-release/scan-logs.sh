#!/usr/bin/env bash
# Stand-in for: docker compose logs --since 11:00 nginx | awk '$9 ~ /^5/' | wc -l
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/standin.sh"

say "scanning nginx access log since deployment"
pause 0.2
say "  2317 requests, 4 with status 4xx (notification broadcast 403, known)"
if should_fail; then
  say "  12 responses with status 5xx (POST /api/grades/calculate)"
  exit 1
fi
say "  0 responses with status 5xx"
say "  p95 latency 231 ms"
