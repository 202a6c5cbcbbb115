#!/usr/bin/env bash
# Stand-in for the Day 14 release checks: PRs merged, version bumped, changelog updated.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/standin.sh"

version="${VERSION:-v2.5.0}"
say "gh pr list --base main --state open --label jupiter-p1: 0 open"
say "8 P1 files on main:"
for f in TenantRetentionService.ts TaskPrioritizationService.ts AIExplainabilityService.ts \
         AdvancedKPIService.ts multi-site-router.ts regional-rules.ts local-languages.ts \
         009_JUPITER_GRADE_P1_SCHEMA.sql; do
  say "  present  $f"
done
say "package.json version: ${version#v}"
pause 0.1
if should_fail; then
  say "CHANGELOG.md: no entry for $version"
  say "RELEASE $version NOT READY"
  exit 1
fi
say "CHANGELOG.md: ## [$version] - Jupiter-grade P1"
say "RELEASE $version READY"
