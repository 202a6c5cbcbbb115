#!/usr/bin/env bash
# Stand-in for: node scripts/verify-batch2-deployment.js
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/standin.sh"

say "Verifying Batch 2 deployment"
say "  PASS  institution_gates batch 2: 75 rows"
say "  PASS  g12_logistics batch 2: 15 rows"
say "  PASS  15 new qualifications resolve"
say "  PASS  no orphaned records"
say "  PASS  no duplicate records"
say "  PASS  APS range 22-42"
say "  PASS  9 provinces covered"
pause 0.2
if should_fail; then
  say "  FAIL  Batch 1 regression: 1 qualification lost its institution gates"
  say "1 check failed"
  exit 1
fi
say "  PASS  Batch 1 unchanged (25 + 5 rows)"
say "All checks passed (8/8)"
