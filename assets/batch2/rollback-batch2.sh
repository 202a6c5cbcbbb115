#!/usr/bin/env bash
# Stand-in for the automated Batch 2 rollback (removes Batch 2 rows only; target < 5 min).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/standin.sh"

say "Rolling back Batch 2 on $(value_of DATABASE_URL)"
say "BEGIN"
say "  DELETE FROM g12_logistics WHERE batch = 2 ...... 15 rows"
say "  DELETE FROM institution_gates WHERE batch = 2 .. 75 rows"
pause 0.2
if should_fail; then
  warn "error: permission denied for table institution_gates"
  say "ROLLBACK - automated rollback failed; restore backup-pre-batch2-20251127.sql manually"
  exit 1
fi
say "COMMIT"
say "Batch 2 removed: 90 records deleted, Batch 1 untouched"
