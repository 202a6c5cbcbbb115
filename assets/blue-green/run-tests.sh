#!/usr/bin/env bash
# Stand-in for: npm test -- --coverage (unit) and npm run test:integration (integration).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/standin.sh"

suite="${1:?usage: run-tests.sh unit|integration}"
case "$suite" in
  unit)
    say "> npm test -- --coverage"
    say "PASS tests/services/TenantRetentionService.test.ts"
    say "PASS tests/services/TaskPrioritizationService.test.ts"
    say "PASS tests/middleware/multi-site-router.test.ts"
    say "Test Suites: 3 passed, 3 total"
    say "Tests:       64 passed, 64 total"
    say "-------------------------------|---------|----------|---------|---------|"
    say "File                           | % Stmts | % Branch | % Funcs | % Lines |"
    say "All files                      |   84.61 |    78.02 |   88.13 |   84.97 |"
    pause 0.2
    if should_fail unit; then
      say "Jest: \"global\" coverage threshold for statements (80%) not met: 76.4%"
      exit 1
    fi
    say "Coverage threshold 80% met (statements 84.61%)"
    ;;
  integration)
    say "> npm run test:integration"
    say "PASS tests/integration/retention-flow.test.ts"
    say "PASS tests/integration/kpi-accuracy.test.ts (100 contracts, 50 payments)"
    pause 0.2
    if should_fail integration; then
      say "FAIL tests/integration/multi-site-data-isolation.test.ts"
      say "  GN_CONAKRY contract visible with site = GN_KINDIA"
      say "Test Suites: 1 failed, 2 passed, 3 total"
      exit 1
    fi
    say "PASS tests/integration/multi-site-data-isolation.test.ts"
    say "Test Suites: 3 passed, 3 total"
    ;;
  *) warn "unknown suite: $suite"; exit 2 ;;
esac
