#!/usr/bin/env bash
# Stand-in for: pg_dump -Fc akig_production, plus the row counts documented before migration.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/standin.sh"

file="backups/akig-prod-pre-${VERSION:-v2.5.0}-20241118.dump"
say "pg_dump -Fc $(value_of DATABASE_URL) -f $file"
pause 0.3
if should_fail; then
  say "pg_dump: error: connection to server was lost"
  exit 1
fi
say "  wrote $file (1.9 GB)"
say "row counts before migration:"
say "  contracts  4812"
say "  payments   19377"
say "  tenants    3906"
say "  agents     41"
say "backup complete: $file"
