#!/usr/bin/env bash
# Stand-in for the infrastructure part of the pre-deployment checklist (docker, disk, images).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/standin.sh"

release="${RELEASE:-1.15.1}"
say "docker: Server Version 27.3.1"
say "docker compose: v2.29.7"
say "disk /var/lib/docker: 61% used (38 GB free)"
say "images: backend:$release pulled, frontend:$release pulled"
say "staging containers: 4 running (previous release)"
pause 0.1
if should_fail; then
  say "disk /var/lib/postgresql: 96% used"
  say "infrastructure NOT ready"
  exit 1
fi
say "TLS certificate for staging: valid until 2026-03-02"
say "infrastructure ready"
