#!/usr/bin/env bash
# Stand-in for the load balancer switch.
#   switch-traffic.sh green|blue   send 100% of production traffic to that colour
#   switch-traffic.sh status
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/standin.sh"

to="${1:?usage: switch-traffic.sh green|blue|status}"
case "$to" in
  green|blue)
    from=$([[ "$to" == green ]] && echo BLUE || echo GREEN)
    TO=$(tr '[:lower:]' '[:upper:]' <<<"$to")
    say "akig-prod-lb: $from 100% -> $TO 100%"
    say "  draining $from connections (30s)"
    pause 0.3
    if should_fail "$to"; then
      say "  error: target group $TO has 0 healthy targets"
      exit 1
    fi
    say "100% of traffic on $TO"
    ;;
  status)
    say "akig-prod-lb: BLUE 100% (GREEN 0%)"
    say "BLUE serving"
    ;;
  *) warn "unknown target: $to"; exit 2 ;;
esac
