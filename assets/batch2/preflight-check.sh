#!/usr/bin/env bash
# Stand-in for: node scripts/batch2-preflight-check.js
# 28 automated checks, ends with a GO DECISION (or NO-GO DECISION and exit 1).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/standin.sh"

# STANDIN_FAIL=preflight-check fails check 6 (Batch 1); preflight-check:N fails check N.
passed=0
failed=0
n=0
check() { # check LABEL
  n=$((n + 1))
  if fails_tag "$n" || { [[ $n -eq 6 ]] && should_fail; }; then
    say "  FAIL  $(printf '%2d' "$n") $1"
    failed=$((failed + 1))
  else
    say "  PASS  $(printf '%2d' "$n") $1"
    passed=$((passed + 1))
  fi
}

say "Batch 2 pre-flight check  (scripts/batch2-preflight-check.js)"
say "database: $(value_of DATABASE_URL)"
say "api:      $(value_of API)"
say ""
say "[1/8] Environment"
check "DATABASE_URL is set"
check "SUPABASE_URL is set"
check "SUPABASE_SERVICE_ROLE_KEY is set"
say "[2/8] Database"
check "connection established (38 ms)"
check "schema matches Batch 1 (institution_gates, g12_logistics)"
say "[3/8] Batch 1"
check "5 Batch 1 qualifications present"
check "institution_gates and g12_logistics rows present for Batch 1"
say "[4/8] Batch 2 data quality (SQL + JSON, dual-source)"
check "institution_gates.sql parses: 75 rows"
check "g12_logistics.json parses: 15 rows"
check "15 qualification ids resolve"
check "no duplicate (qualification_id, institution) pairs"
check "APS minimums within 22-42"
check "all 9 provinces represented"
check "SQL and JSON sources agree on every qualification"
check "no conflict with Batch 1 keys"
say "[5/8] Scripts"
check "scripts/deploy-batch2.js syntax valid (ES module)"
check "scripts/verify-batch2-deployment.js syntax valid"
check "scripts/test-batch2-integration.js syntax valid"
say "[6/8] Documentation"
check "DEPLOYMENT-DAY-RUNBOOK.md present"
check "PRE-FLIGHT-CHECKLIST.md present"
check "rollback procedure documented"
say "[7/8] Rollback"
check "rollback script present and dry-run clean"
check "backup destination writable"
say "[8/8] Performance and Batch 1 health"
check "baseline query p95 142 ms (< 500 ms)"
check "Batch 1 query under 500 ms"
check "no orphaned Batch 1 records"
check "no duplicate Batch 1 records"
check "Batch 1 data integrity"
pause 0.2
say ""
say "Summary: $passed passed, $failed failed, $((passed + failed)) total"
if (( failed > 0 )); then
  say "NO-GO DECISION: $failed critical check(s) failed - do not deploy, call the Technical Lead"
  exit 1
fi
say "GO DECISION: all $passed checks passed - proceed with deployment"
