#!/usr/bin/env bash
# Stand-in for: python scripts/e2e_failure_detector.py
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/standin.sh"

say "classifying failures in the last 7 runs"
say "  known issue: notifications broadcast -> HTTP 403 (deferred, non-blocking)"
pause 0.2
if should_fail; then
  say "  CRITICAL: grades weighted average failed in 3 of 7 runs (flaky)"
  say "1 critical failures, 1 flaky"
  exit 1
fi
say "  no new patterns"
say "0 critical failures, 0 flaky"
