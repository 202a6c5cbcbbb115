#!/usr/bin/env bash
# Demo step "toolbox": the tools the release needs on the deploy host. Read-only.
set -euo pipefail

missing=0
for tool in bash sleep printf date; do
  if command -v "$tool" >/dev/null; then echo "  found   $tool"; else echo "  MISSING $tool"; missing=$((missing + 1)); fi
done
echo "$((4 - missing))/4 tools present"
