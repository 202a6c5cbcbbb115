#!/usr/bin/env bash
# Demo step "warm-cache": fails on its first attempt (cold cache) and passes on the retry.
# Usage: warm-cache.sh RUN_KEY
#   RUN_KEY is the same for every attempt of one run; the runbook passes tminus's pid ($PPID of
#   the step's shell). The first attempt leaves a marker under ${TMPDIR:-/tmp}; the retry finds
#   it, removes it and passes. Nothing else is written.
# Reads RELEASE from the runbook's [vars].
set -euo pipefail

marker="${TMPDIR:-/tmp}/tminus-demo-retry.${1:?usage: warm-cache.sh RUN_KEY}"
echo "fetching orders-api-$RELEASE.tar.gz from the artifact mirror"
sleep 0.2
if [ -e "$marker" ]; then
  rm -f "$marker"
  echo "cache warm: orders-api-$RELEASE.tar.gz (38.2 MB) verified"
else
  : > "$marker"
  echo "mirror timed out after 0.2s (cold cache)" >&2
  exit 1
fi
