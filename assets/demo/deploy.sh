#!/usr/bin/env bash
# Demo step "deploy": rolling install of RELEASE, one host at a time.
# Usage: deploy.sh [--dry-run]    --dry-run prints the plan and changes nothing.
# Reads RELEASE and PREVIOUS from the runbook's [vars]. The undo is undo-deploy.sh.
set -euo pipefail

case "${1:-}" in
  "")
    for host in 1 2 3 4; do
      echo "  app-$host: draining, installing $RELEASE, health ok"
      sleep 0.2
    done
    echo "orders-api $RELEASE live on 4/4 hosts"
    ;;
  --dry-run)
    for host in 1 2 3 4; do
      echo "  app-$host: would drain and install $RELEASE (currently $PREVIOUS)"
    done
    echo "dry run: orders-api $RELEASE would be live on 4/4 hosts; nothing changed"
    ;;
  *)
    echo "usage: deploy.sh [--dry-run]" >&2
    exit 2
    ;;
esac
