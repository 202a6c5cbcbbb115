#!/usr/bin/env bash
# Demo step "preflight-check": twelve quick checks, ending with GO DECISION. Read-only.
# Reads RELEASE and TARGET from the runbook's [vars].
set -euo pipefail

i=0
for check in "release $RELEASE tagged" "artifact checksum" "changelog entry" \
             "config for $TARGET" "database reachable" "replica lag < 1s" \
             "disk > 20% free" "error rate < 0.1%" "p95 < 200 ms" \
             "on-call acknowledged" "backup < 24h old" "rollback script present"; do
  i=$((i + 1)); printf '  PASS  %2d  %s\n' "$i" "$check"; sleep 0.08
done
echo "GO DECISION: 12/12 checks passed"
