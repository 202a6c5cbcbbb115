#!/usr/bin/env bash
# Stand-in for the site seed: 6 sites, then site_id backfilled on existing rows (GN_CONAKRY).
#   seed-sites.sh --dry-run   same statements inside a transaction that is rolled back
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/standin.sh"

dry=0
[[ "${1:-}" == "--dry-run" ]] && dry=1
say "BEGIN"
say "INSERT INTO sites (code, name, country)"
for s in "GN_CONAKRY Conakry GN" "GN_KINDIA Kindia GN" "GN_MAMOU Mamou GN" \
         "GN_LABE Labe GN" "SN_DAKAR Dakar SN" "ML_BAMAKO Bamako ML"; do
  say "  $s"
done
pause 0.2
if should_fail; then
  say "ERROR:  duplicate key value violates unique constraint \"sites_code_key\""
  exit 1
fi
say "6 sites inserted"
say "UPDATE contracts/payments/tenants/agents/alerts SET site_id = 'GN_CONAKRY' WHERE site_id IS NULL"
say "backfilled 28574 rows"
if (( dry )); then
  say "ROLLBACK (dry run: nothing kept)"
  exit 0
fi
say "COMMIT"
