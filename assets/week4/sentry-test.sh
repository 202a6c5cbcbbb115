#!/usr/bin/env bash
# Stand-in for: npx @sentry/cli send-event -m "kitchen-kontrol staging test event"
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/standin.sh"

say "SENTRY_DSN=$(value_of SENTRY_DSN)"
say "sending test event: kitchen-kontrol staging test event"
pause 0.3
if should_fail; then
  say "error: 403 invalid DSN"
  exit 1
fi
say "event 6f2d9c1e4b7a4e0f8a3c5d7b9e1f2a40 received by project kitchen-kontrol"
