#!/usr/bin/env bash
# Stand-in for: SELECT ... FROM pg_stat_statements WHERE max_exec_time > 5000
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/standin.sh"

say "pg_stat_statements since the switch (reset at 02:00 GMT)"
say "  slowest: AdvancedKPIService.report  max 1.41s  mean 0.38s"
pause 0.1
if should_fail; then
  say "  3 queries slower than 5s (retention score full scan)"
  exit 1
fi
say "0 queries slower than 5s"
