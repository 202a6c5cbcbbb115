#!/usr/bin/env bash
# Stand-in for: gh run watch (latest run of one workflow on test/workflow-verification)
#   gh-run.sh ci|e2e-docker|code-quality|pr-automation
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/standin.sh"

wf="${1:?usage: gh-run.sh WORKFLOW}"
case "$wf" in
  ci) jobs=("Code checkout" "Node setup (18.x)" "Node setup (20.x)" "Dependencies install" "Tests run" "Code built") ;;
  e2e-docker) jobs=("Docker images build" "E2E tests run" "Integration tests run" "Logs captured" "Artifacts uploaded") ;;
  code-quality) jobs=("Coverage calculated" "Dependencies checked" "Documentation verified") ;;
  pr-automation) jobs=("Labels applied" "Size label" "Reviewers requested") ;;
  *) warn "unknown workflow: $wf"; exit 2 ;;
esac
say "gh run watch --workflow $wf.yml --branch test/workflow-verification"
for j in "${jobs[@]}"; do
  say "  ok  $j"
done
pause 0.2
if should_fail "$wf"; then
  say "  X   ${jobs[-1]} (annotations: 1 error)"
  say "$wf.yml completed with failure"
  exit 1
fi
say "$wf.yml completed with success"
