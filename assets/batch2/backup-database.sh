#!/usr/bin/env bash
# Stand-in for: node scripts/backup-database.js --output=FILE
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/standin.sh"

output="backup.sql"
for arg in "$@"; do
  case "$arg" in
    --output=*) output="${arg#--output=}" ;;
    *) warn "unknown argument: $arg"; exit 2 ;;
  esac
done

say "Backing up $(value_of DATABASE_URL)"
say "  dumping qualifications ........ 20 rows"
say "  dumping institution_gates ..... 25 rows"
say "  dumping g12_logistics ......... 5 rows"
pause 0.3
if should_fail; then
  say "pg_dump: error: connection to server lost"
  exit 1
fi
say "  writing $output (4.7 MB)"
say "  sha256 9f2c41d0a7e3b6c58d1f0e2a4b7c9d3e5f6a8b0c1d2e3f4a5b6c7d8e9f0a1b2c"
say "Backup created successfully: $output"
