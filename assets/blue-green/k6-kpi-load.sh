#!/usr/bin/env bash
# Stand-in for: k6 run tests/load/kpi-load.js   (KPI calculation must stay under 2 s for 5000 records)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/standin.sh"

target="${1:-staging}"
say "k6 run tests/load/kpi-load.js --env TARGET=$target"
say "  scenarios: 1 scenario, 20 max VUs, 2m0s max duration"
say "  running (1m00.0s), 20/20 VUs, 1184 complete iterations"
pause 0.3
if should_fail; then
  say "  x KPI calculation < 2s for 5000 records"
  say "     http_req_duration..............: avg=1.71s p(95)=2.84s"
  exit 99
fi
say "  ok KPI calculation < 2s for 5000 records"
say "     http_req_duration..............: avg=612ms p(95)=1.38s"
say "     http_req_failed................: 0.00%  0 out of 1184"
