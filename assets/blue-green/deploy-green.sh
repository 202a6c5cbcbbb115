#!/usr/bin/env bash
# Stand-in for the GREEN deployment (cd backend|frontend && npm run deploy:production -- --slot green).
#   deploy-green.sh backend|frontend
#   deploy-green.sh --teardown backend|frontend
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/standin.sh"

version="${VERSION:-v2.5.0}"
if [[ "${1:-}" == "--teardown" ]]; then
  part="${2:?usage: deploy-green.sh --teardown backend|frontend}"
  say "scaling GREEN $part to 0 instances ($version)"
  say "GREEN $part torn down; BLUE untouched"
  exit 0
fi
part="${1:?usage: deploy-green.sh backend|frontend}"
say "building akig-$part:$version"
say "pushing akig-$part:$version to registry"
pause 0.2
for i in 1 2 3; do
  say "  green-$part-$i: started, health ok"
done
if should_fail "$part"; then
  say "  green-$part-3: crash loop (missing env REGIONAL_RULES_PATH)"
  exit 1
fi
say "GREEN $part ready ($version, 3/3 instances)"
