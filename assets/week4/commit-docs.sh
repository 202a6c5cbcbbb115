#!/usr/bin/env bash
# Stand-in for committing and pushing the 8 WEEK4_*.md documents.
#   commit-docs.sh             git add, commit, push
#   commit-docs.sh --dry-run   git add --dry-run, nothing committed
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/standin.sh"

docs=(WEEK4_PRE_DEPLOYMENT_CHECKLIST.md WEEK4_WORKFLOW_VERIFICATION.md WEEK4_STAGING_TEST_RESULTS.md
      WEEK4_MONITORING_SETUP.md WEEK4_RUNBOOK.md WEEK4_TEAM_BRIEFING.md WEEK4_ESCALATION.md
      WEEK4_FINAL_VERIFICATION.md)
for d in "${docs[@]}"; do say "add '$d'"; done
if [[ "${1:-}" == "--dry-run" ]]; then
  say "git commit --dry-run: ${#docs[@]} files to be committed"
  say "git push --dry-run origin main"
  say "   9c41e2a..8e3f1b6  main -> main"
  say "dry run: nothing committed or pushed"
  exit 0
fi
say "[main 8e3f1b6] Add Week 4 pre-deployment documentation - Ready for production launch"
say " ${#docs[@]} files changed, 1142 insertions(+)"
pause 0.2
if should_fail; then
  say " ! [rejected]        main -> main (fetch first)"
  exit 1
fi
say "   9c41e2a..8e3f1b6  main -> main"
say "pushed ${#docs[@]} documents"
