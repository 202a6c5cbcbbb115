#!/usr/bin/env bash
# Stand-in for: ls -la .github/workflows/ plus a grep for hard-coded secrets.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/standin.sh"

say "ls .github/workflows/"
n=0
for f in ci.yml cd.yml e2e.yml e2e-docker.yml code-quality.yml pr-automation.yml; do
  if fails_tag "$f"; then
    say "  missing  $f"
  else
    say "  present  $f"
    n=$((n + 1))
  fi
done
say "$n of 6 workflow files present"
say "grep for tokens, passwords and keys in workflow files"
pause 0.1
if should_fail; then
  say "  e2e-docker.yml:31  POSTGRES_PASSWORD: kitchen123"
  say "hard-coded secrets found"
  exit 1
fi
say "  all credentials come from \${{ secrets.* }}"
say "no hard-coded secrets"
(( n == 6 ))
