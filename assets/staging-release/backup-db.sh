#!/usr/bin/env bash
# Stand-in for: pg_dump -Fc "$STAGING_DATABASE_URL" -f backups/staging-pre-<release>-<date>.dump
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/standin.sh"

file="backups/staging-pre-${RELEASE:-1.15.1}-20260108.dump"
say "pg_dump -Fc $(value_of STAGING_DATABASE_URL) -f $file"
say "  dumping 31 tables"
pause 0.3
if should_fail; then
  say "pg_dump: error: could not write to output file: No space left on device"
  exit 1
fi
say "  wrote $file (212 MB)"
say "pg_restore --list $file: 31 tables, 118 indexes"
say "backup complete: $file"
