#!/usr/bin/env bash
# Stand-in for the runbook's rollback: git revert the bad commit and push to trigger auto-deploy.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/standin.sh"

say "git log --oneline | head -3"
say "  9c41e2a ci: run E2E docker workflow on schedule"
say "  7b0d3f5 test: add App integration tests (106 total)"
say "git revert --no-edit 9c41e2a"
say "[main 1d4e7f2] Revert \"ci: run E2E docker workflow on schedule\""
pause 0.2
if should_fail; then
  say "error: could not revert 9c41e2a: conflict in server.js"
  exit 1
fi
say "git push origin main: 8e3f1b6..1d4e7f2  main -> main"
say "revert pushed; auto-deploy triggered"
