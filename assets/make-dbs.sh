#!/usr/bin/env bash
# Rebuild the rehearsal SQLite databases from their .sql sources (needs the sqlite3 command).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
for sql in batch2/batch2.sql staging-release/staging.sql blue-green/akig.sql week4/staging.sql; do
  db="${sql%.sql}.db"
  rm -f "$db"
  sqlite3 "$db" < "$sql"
  echo "built $db"
done
