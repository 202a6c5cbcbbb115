#!/usr/bin/env bash
# Stand-in for the Day 14 rollback rehearsal on a staging copy: apply 009, roll it back, compare counts.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/standin.sh"

say "restoring last night's production dump into akig_rollback_test"
say "psql -d akig_rollback_test < migrations/009_JUPITER_GRADE_P1_SCHEMA.sql: ok"
say "psql -d akig_rollback_test < migrations/009_rollback.sql: ok"
pause 0.3
if should_fail; then
  say "row counts differ after rollback: contracts 4812 -> 4811"
  exit 1
fi
say "row counts before = after (contracts 4812, payments 19377, tenants 3906)"
say "traffic switch BLUE <- GREEN rehearsed on staging load balancer: 4s"
say "rollback script OK"
