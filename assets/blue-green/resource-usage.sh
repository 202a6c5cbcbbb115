#!/usr/bin/env bash
# Stand-in for the CPU / memory check on the GREEN instances.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/standin.sh"

for i in 1 2 3; do
  say "  green-backend-$i  cpu $(( 30 + i * 4 ))%  mem $(( 55 + i * 3 ))%"
done
pause 0.1
if should_fail; then
  say "  green-backend-2  mem 97% (limit 90%)"
  exit 1
fi
say "CPU and memory within limits (< 80% cpu, < 90% mem)"
