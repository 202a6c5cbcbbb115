#!/usr/bin/env bash
# Demo step "migrate": migration 0042 drops orders.fax_number. Irreversible: there is no undo.
# Usage: migrate.sh [--dry-run]    --dry-run runs it in a transaction and rolls it back.
set -euo pipefail

case "${1:-}" in
  "")
    echo "BEGIN"
    echo "ALTER TABLE orders DROP COLUMN fax_number"
    sleep 0.3
    echo "COMMIT"
    echo "migration 0042 applied"
    ;;
  --dry-run)
    echo "BEGIN"
    echo "ALTER TABLE orders DROP COLUMN fax_number"
    echo "migration 0042 applied"
    echo "ROLLBACK (dry run: nothing kept)"
    ;;
  *)
    echo "usage: migrate.sh [--dry-run]" >&2
    exit 2
    ;;
esac
