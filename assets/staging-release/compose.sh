#!/usr/bin/env bash
# Stand-in for docker compose on the staging host.
#   compose.sh stop VERSION    stop the running release (containers kept for a quick restart)
#   compose.sh start VERSION   start a stopped release again
#   compose.sh up VERSION      pull and start a release, wait for health checks
#   compose.sh down VERSION    stop and remove a release
#   compose.sh ps              list containers and their health
#   add --dry-run after the version for docker compose --dry-run (nothing changes)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/standin.sh"

action="${1:?usage: compose.sh stop|start|up|down|ps [VERSION] [--dry-run]}"
version="${2:-${RELEASE:-1.15.1}}"
dry=""
if [[ "${3:-}" == "--dry-run" ]]; then
  dry="DRY-RUN MODE - "
  say "docker compose --dry-run: nothing below is executed"
fi
services=(backend frontend worker nginx)
case "$action" in
  stop)
    for s in "${services[@]}"; do say "${dry}  Container app-$s-1 ($version)  Stopped"; done
    say "v$version stopped${dry:+ (dry run)}"
    ;;
  start)
    for s in "${services[@]}"; do say "  Container app-$s-1 ($version)  Started"; done
    pause 0.2
    say "4/4 containers running (v$version)"
    ;;
  up)
    say "docker compose pull (tag $version)"
    for s in "${services[@]}"; do say "${dry}  $s Pulled"; done
    pause 0.2
    for s in "${services[@]}"; do say "${dry}  Container app-$s-1  Started"; done
    say "waiting for health checks"
    pause 0.2
    if should_fail up; then
      say "  app-backend-1  unhealthy: GET /api/health -> 500 (database migration pending)"
      say "3/4 containers running (v$version)"
      exit 1
    fi
    say "4/4 containers running (v$version${dry:+, dry run})"
    ;;
  down)
    for s in "${services[@]}"; do say "  Container app-$s-1 ($version)  Removed"; done
    say "v$version removed"
    ;;
  ps)
    for s in "${services[@]}"; do say "  app-$s-1   $version   Up 3 minutes (healthy)"; done
    if should_fail ps; then
      say "3/4 containers healthy"
      exit 1
    fi
    say "4/4 containers healthy"
    ;;
  *) warn "unknown action: $action"; exit 2 ;;
esac
