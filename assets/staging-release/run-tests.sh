#!/usr/bin/env bash
# Stand-in for the test suites: backend (pytest), frontend (vitest), lint.
#   run-tests.sh backend|frontend|lint
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/standin.sh"

suite="${1:?usage: run-tests.sh backend|frontend|lint}"
case "$suite" in
  backend)
    say "cd backend && pytest -q"
    for pct in 10 25 40 55 70 85 100; do say "........................................ [$(printf '%3d' "$pct")%]"; done
    pause 0.2
    if should_fail backend; then
      say "FAILED tests/api/test_grades.py::test_weighted_average_rounding - AssertionError: 78.4 != 78.5"
      say "1 failed, 369 passed in 84.92s"
      exit 1
    fi
    say "370 passed in 84.21s"
    ;;
  frontend)
    say "cd frontend && npm test -- --run"
    say " Test Files  143 passed (143)"
    pause 0.2
    if should_fail frontend; then
      say "      Tests  1 failed | 1248 passed (1249)"
      exit 1
    fi
    say "      Tests  1249 passed (1249)"
    say "   Duration  41.37s"
    ;;
  lint)
    say "ruff check backend: All checks passed!"
    say "eslint frontend/src: 0 problems"
    pause 0.1
    if should_fail lint; then
      say "markdownlint docs/: 3 errors"
      exit 1
    fi
    say "markdownlint docs/: 0 errors"
    ;;
  *) warn "unknown suite: $suite"; exit 2 ;;
esac
