#!/usr/bin/env bash
# Undo of demo step "deploy": puts PREVIOUS back on every host, newest host first.
# Reads PREVIOUS from the runbook's [vars].
set -euo pipefail

for host in 4 3 2 1; do
  echo "  app-$host: reinstalling $PREVIOUS"
  sleep 0.1
done
echo "orders-api $PREVIOUS restored on 4/4 hosts"
