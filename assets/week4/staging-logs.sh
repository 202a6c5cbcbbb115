#!/usr/bin/env bash
# Stand-in for reading the Render staging logs for the three error families in the plan.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/standin.sh"

say "render logs --service kitchen-kontrol-staging --since 2h"
say "  1284 lines, 1207 requests (200: 1188, 304: 12, 401: 7)"
pause 0.2
if should_fail; then
  say "  3 database connection errors (ECONNRESET)"
  exit 1
fi
say "0 database connection errors, 0 unhandled exceptions, 0 JWT validation errors"
