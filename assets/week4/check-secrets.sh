#!/usr/bin/env bash
# Stand-in for a secret scan of the working tree and history (gitleaks detect).
# The JWT secret is in the environment so the scan can look for its exact value.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/standin.sh"

say "gitleaks detect --source . --log-opts=--all"
say "scanning 214 commits"
say "also searching history for the current JWT_SECRET value: $(value_of JWT_SECRET)"
pause 0.3
if should_fail; then
  say "Finding: .env.staging:4 JWT_SECRET=..."
  say "1 leak found"
  exit 1
fi
say ".env, .env.staging: listed in .gitignore"
say "no leaks found"
