#!/usr/bin/env bash
# Stand-in for: node scripts/deploy-batch2.js [--dry-run | --environment=production]
# The dry run does the same inserts inside a transaction and rolls it back.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/standin.sh"

mode="dry-run"
env="production"
for arg in "$@"; do
  case "$arg" in
    --dry-run) mode="dry-run" ;;
    --environment=*) mode="deploy"; env="${arg#--environment=}" ;;
    *) warn "unknown argument: $arg"; exit 2 ;;
  esac
done

say "Batch 2 deployment ($mode, environment: $env)"
say "  source: .kiro/data/batch2/institution_gates.sql (75 rows)"
say "  source: .kiro/data/batch2/g12_logistics.json (15 rows)"

say "BEGIN"
for n in 15 30 45 60 75; do
  say "  inserting institution_gates $n/75"
done
pause 0.2
if should_fail; then
  say "  inserting g12_logistics 9/15"
  warn "error: duplicate key value violates unique constraint \"g12_logistics_qualification_id_key\""
  say "ROLLBACK (transaction aborted, 0 records written)"
  exit 1
fi
for n in 5 10 15; do
  say "  inserting g12_logistics $n/15"
done
say "90 records inserted (75 institution_gates + 15 g12_logistics)"
if [[ "$mode" == "dry-run" ]]; then
  say "  0 conflicts with Batch 1, 0 missing foreign keys"
  say "ROLLBACK (dry run: nothing kept)"
  say "Ready for production"
  exit 0
fi
say "COMMIT"
