#!/usr/bin/env bash
# Stand-in for: docker images | grep kitchen-kontrol   (expected: backend 300-400MB, frontend 200-300MB)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/standin.sh"

say "REPOSITORY                 TAG    IMAGE ID       CREATED          SIZE"
say "kitchen-kontrol-backend    test   3f1a9c0d2b7e   2 minutes ago    341MB"
say "kitchen-kontrol-frontend   test   8c2e4d1f9a03   1 minute ago     236MB"
if should_fail; then
  say "backend image 1.21GB: outside 300-400MB (dev dependencies copied?)"
  exit 1
fi
say "image sizes reasonable: backend 341MB (300-400MB), frontend 236MB (200-300MB)"
