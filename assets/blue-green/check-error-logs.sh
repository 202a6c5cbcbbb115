#!/usr/bin/env bash
# Stand-in for the error-log check (exceptions since the switch to GREEN).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/standin.sh"

say "scanning GREEN backend logs since the switch"
say "  41218 requests, 3 warnings (translation key missing: fr -> en fallback)"
pause 0.2
if should_fail; then
  say "  17 unhandled exceptions: TypeError in AdvancedKPIService.calculateChurn"
  exit 1
fi
say "  0 unhandled exceptions"
