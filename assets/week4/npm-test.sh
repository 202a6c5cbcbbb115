#!/usr/bin/env bash
# Stand-in for: cd "$APP_DIR" && npm test -- --no-coverage   (106 tests, about 2.7 s)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/standin.sh"

say "> kitchen-kontrol@1.0.0 test"
say "> react-scripts test --watchAll=false --no-coverage"
files=(
  src/components/__tests__/Dashboard.test.js
  src/components/__tests__/ErrorBoundary.test.js
  src/components/__tests__/LoginForm.test.js
  src/components/__tests__/AbsenceLogForm.test.js
  src/components/__tests__/AbsenceLogList.test.js
  src/components/__tests__/ReportsView.test.js
  src/components/__tests__/UserManagement.test.js
  src/components/__tests__/NavBar.test.js
  src/__tests__/App.integration.test.js
)
i=0
for f in "${files[@]}"; do
  i=$((i + 1))
  if fails_tag "$i" || { [[ $i -eq 5 ]] && should_fail; }; then
    say "FAIL  $f"
    say "  x renders absence entries newest first (41 ms)"
    failed=1
  else
    say "PASS  $f"
  fi
done
say "PASS  src/__tests__/utils.test.js"
pause 0.2
say "Test Suites: $(( 10 - ${failed:-0} )) passed, 10 total"
if [[ -n "${failed:-}" ]]; then
  say "Tests:       1 failed, 105 passed, 106 total"
  say "Time:        2.91 s"
  exit 1
fi
say "Tests:       106 passed, 106 total"
say "Snapshots:   0 total"
say "Time:        2.7 s"
