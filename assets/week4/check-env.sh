#!/usr/bin/env bash
# Stand-in for the staging environment check: required variables set, no production secrets reused.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/standin.sh"

say "render env:get --service kitchen-kontrol-staging"
say "  DATABASE_URL        $(value_of STAGING_DATABASE_URL)"
say "  NODE_ENV            staging"
say "  PORT                3002"
say "  JWT_SECRET          $(value_of JWT_SECRET)"
say "  API_URL             $(value_of STAGING_URL)"
say "  REACT_APP_API_URL   $(value_of STAGING_URL)"
say "  SENTRY_DSN          $(value_of SENTRY_DSN)"
pause 0.1
if should_fail; then
  say "JWT_SECRET equals the production value"
  exit 1
fi
say "JWT_SECRET differs from production"
say "6/6 required variables set"
