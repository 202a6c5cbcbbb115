#!/usr/bin/env bash
# Stand-in for: npm audit
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/standin.sh"

say "# npm audit report"
say ""
say "nth-check  <2.0.1"
say "Severity: moderate"
say "Inefficient Regular Expression Complexity in nth-check"
say "fix available via \`npm audit fix --force\` (breaking: react-scripts)"
say ""
say "postcss  <8.4.31"
say "Severity: moderate"
say "PostCSS line return parsing error"
pause 0.2
if should_fail; then
  say ""
  say "jsonwebtoken  <=8.5.1"
  say "Severity: high"
  say "Summary: 0 critical, 1 high, 2 moderate, 0 low"
  exit 1
fi
say ""
say "Summary: 0 critical, 0 high, 2 moderate, 0 low"
say "2 moderate severity vulnerabilities (documented in WEEK4_PRE_DEPLOYMENT_CHECKLIST.md)"
