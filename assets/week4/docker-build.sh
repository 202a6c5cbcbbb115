#!/usr/bin/env bash
# Stand-in for: docker build -f Dockerfile.server|Dockerfile.client -t kitchen-kontrol-<part>:test .
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/standin.sh"

part="${1:?usage: docker-build.sh backend|frontend}"
case "$part" in
  backend) file=Dockerfile.server ;;
  frontend) file=Dockerfile.client ;;
  *) warn "unknown image: $part"; exit 2 ;;
esac
say "docker build -f $file -t kitchen-kontrol-$part:test ."
say "#1 [internal] load build definition from $file"
say "#5 [builder 2/6] COPY package*.json ./"
say "#6 [builder 3/6] RUN npm ci"
pause 0.3
if should_fail "$part"; then
  say "#6 ERROR: process \"/bin/sh -c npm ci\" did not complete successfully: exit code: 1"
  exit 1
fi
say "#9 [stage-1 4/4] COPY --from=builder /app/build ./build"
say "#10 exporting to image"
say "#10 naming to docker.io/library/kitchen-kontrol-$part:test done"
say "Successfully tagged kitchen-kontrol-$part:test"
