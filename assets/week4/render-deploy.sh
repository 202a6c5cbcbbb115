#!/usr/bin/env bash
# Stand-in for the Render staging deploy (build: npm install && npm run build, start: node server.js).
#   render-deploy.sh              deploy main to kitchen-kontrol-staging and wait until live
#   render-deploy.sh --dry-run    show what would be deployed
#   render-deploy.sh --rollback   redeploy the previous live deploy
#   render-deploy.sh --wait       wait for the deploy in progress
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/standin.sh"

case "${1:-}" in
  --dry-run)
    say "would deploy main@9c41e2a to kitchen-kontrol-staging (Node, build: npm install && npm run build)"
    ;;
  --rollback)
    say "render deploys rollback --service kitchen-kontrol-staging --to dep-prev"
    pause 0.2
    say "Deploy live: previous commit restored on kitchen-kontrol-staging"
    ;;
  --wait)
    say "waiting for deploy of kitchen-kontrol-staging"
    pause 0.2
    say "Deploy live"
    ;;
  "")
    say "render deploys create --service kitchen-kontrol-staging --commit 9c41e2a"
    say "==> Cloning from https://github.com/rubyrayjuntos/kitchen-kontrol"
    say "==> Running build command 'npm install && npm run build'"
    say "added 1432 packages in 38s"
    say "Compiled successfully."
    pause 0.3
    if should_fail; then
      say "==> Build failed: out of memory (512 MB instance)"
      exit 1
    fi
    say "==> Starting service with 'node server.js'"
    say "server listening on port 3002"
    say "==> Your service is live"
    say "Deploy live: main@9c41e2a on kitchen-kontrol-staging"
    ;;
  *) warn "unknown argument: $1"; exit 2 ;;
esac
