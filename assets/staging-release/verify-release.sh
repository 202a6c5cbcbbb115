#!/usr/bin/env bash
# Stand-in for the code & version part of PRE_DEPLOYMENT_VALIDATION_CHECKLIST.md:
#   cat VERSION; grep the CHANGELOG; git log --oneline -6; git status
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/standin.sh"

release="${RELEASE:-1.15.1}"
say "VERSION: $release"
say "CHANGELOG.md: ## [$release] - 2026-01-07 (458 insertions)"
say "docs/releases/RELEASE_NOTES_v$release.md: 652 lines"
say "git log --oneline -6"
say "  0b746e509 docs: Add comprehensive v$release deployment readiness summary"
say "  f25f32e09 docs: Add deployment preparation checklists and status tracker for v$release"
say "  3b9d44fd5 release: Prepare v$release - Post-Phase 1 Polish Release"
say "  dd6f7f29b feat: Add E2E CI monitoring infrastructure & automation"
say "  838a116ce fix: improve markdownlint exclusions and adjust CI threshold"
say "  5e4939f1c fix: remove PostgreSQL service from CI backend tests"
pause 0.1
if should_fail; then
  say "git status: Your branch is ahead of 'origin/main' by 1 commit"
  say "release $release NOT ready: unpushed commits on main"
  exit 1
fi
say "git status: main is up to date with origin/main, working tree clean"
say "release $release ready"
