#!/usr/bin/env bash
# Stand-in for: psql -d akig_production < migrations/009_JUPITER_GRADE_P1_SCHEMA.sql
#   migrate.sh            apply
#   migrate.sh --dry-run  apply inside a transaction that is rolled back
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/standin.sh"

dry=0
[[ "${1:-}" == "--dry-run" ]] && dry=1
say "psql $(value_of DATABASE_URL) < migrations/009_JUPITER_GRADE_P1_SCHEMA.sql"
say "BEGIN"
for t in sites tenant_retention_scores retention_campaigns retention_actions agent_tasks \
         task_priority_scores alert_explanations kpi_snapshots regional_rules; do
  say "CREATE TABLE $t"
done
for t in contracts payments tenants agents alerts; do
  say "ALTER TABLE $t ADD COLUMN site_id TEXT"
done
say "CREATE INDEX ... (27 indexes)"
pause 0.3
if should_fail; then
  say "ERROR:  lock timeout on table payments (autovacuum running)"
  say "ROLLBACK"
  exit 3
fi
say "migration 009 applied: 9 tables, 27 indexes, 5 site_id columns"
if (( dry )); then
  say "ROLLBACK"
  say "dry run: migration 009 is valid; nothing changed"
  exit 0
fi
say "COMMIT"
