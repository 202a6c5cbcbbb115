#!/usr/bin/env bash
# Stand-in for: node scripts/check-batch1-health.js
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/standin.sh"

say "Batch 1 health check"
say "  PASS  all 5 Batch 1 qualifications present"
say "  PASS  institution_gates records exist (25)"
say "  PASS  g12_logistics records exist (5)"
say "  PASS  query performance 87 ms (< 500 ms)"
say "  PASS  no orphaned records"
say "  PASS  no duplicate records"
pause 0.2
if should_fail; then
  say "  FAIL  data integrity: 2 institution_gates rows reference a missing qualification"
  say "ISSUES DETECTED - stop and call the Technical Lead"
  exit 1
fi
say "  PASS  data integrity validated"
say "BATCH 1 HEALTHY"
