#!/usr/bin/env bash
# Stand-in for the production smoke tests (npm run smoke -- --env production).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/standin.sh"

tests=(
  "login (manager)" "login (agent)" "POST /api/retention/analyze returns 50 at-risk tenants"
  "GET /api/retention/scores?risk_level=high" "POST /api/retention/campaigns (dry)"
  "GET /api/tasks/today/:agentId returns top 3" "GET /api/kpi/metrics" "GET /api/kpi/report"
  "POST /api/alerts/:alertId/explain" "site header GN_KINDIA isolates contracts"
  "language switch to Soussou" "contracts list (existing feature)"
)
i=0
failed=0
for t in "${tests[@]}"; do
  i=$((i + 1))
  if fails_tag "$i" || { [[ $i -eq 10 ]] && should_fail; }; then
    say "  FAIL $t"
    failed=$((failed + 1))
  else
    say "  ok   $t"
  fi
done
pause 0.1
if (( failed )); then
  say "$failed smoke test(s) failed"
  exit 1
fi
say "smoke tests passed (${#tests[@]}/${#tests[@]})"
