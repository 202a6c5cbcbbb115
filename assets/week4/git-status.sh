#!/usr/bin/env bash
# Stand-in for: git status && git log --oneline -10
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/standin.sh"

say "On branch main"
say "Your branch is up to date with 'origin/main'."
say ""
if should_fail; then
  say "Changes not staged for commit:"
  say "        modified:   server.js"
  exit 1
fi
say "nothing to commit, working tree clean"
say ""
say "9c41e2a ci: run E2E docker workflow on schedule"
say "7b0d3f5 test: add App integration tests (106 total)"
say "e28a61c feat: absence log filters on reports page"
say "51f9c07 fix: ErrorBoundary resets on route change"
say "b36e8d2 chore: add .env.example without secrets"
say "0a7c4f1 build: multi-stage Dockerfile.client"
say "d95b3e8 build: Dockerfile.server on node:20-alpine"
say "6e12a9b ci: code-quality workflow with coverage"
say "f3c8d70 feat: user management for admins"
say "2a6b91e docs: environment variables"
