#!/usr/bin/env bash
# Stand-in for the feature-flag service: feature-flag.sh FLAG PERCENT
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/standin.sh"

flag="${1:?usage: feature-flag.sh FLAG PERCENT}"
pct="${2:?usage: feature-flag.sh FLAG PERCENT}"
say "PATCH /flags/$flag {\"rollout_percent\": $pct}"
pause 0.1
if should_fail "$pct"; then
  say "error: flag service returned 503"
  exit 1
fi
if [[ "$pct" == 0 ]]; then
  say "$flag disabled (0% of users)"
else
  say "$flag at $pct% of users"
fi
