#!/usr/bin/env bash
# Stand-in for the Playwright E2E suite against staging.
#   run-e2e.sh --critical   the 19 critical tests (must be 19/19)
#   run-e2e.sh --all        all 24 (baseline 19/24: 5 notification tests not written yet)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/standin.sh"

scope="${1:---critical}"
critical=(
  "auth: login with valid credentials" "auth: login rejects bad password" "auth: logout clears session"
  "auth: token refresh" "dashboard: loads for teacher" "dashboard: loads for admin"
  "grades: enter a grade" "grades: weighted average" "grades: letter grade boundaries"
  "grades: export CSV" "students: roster loads" "students: search by name"
  "students: profile page" "assignments: create" "assignments: due-date validation"
  "reports: term report renders" "reports: PDF download" "settings: change password"
  "admin: create user"
)
say "npx playwright test ($scope) against ${STAGING_WEB:-<unset>}"
i=0
failed=0
for t in "${critical[@]}"; do
  i=$((i + 1))
  if fails_tag "$i" || { [[ $i -eq 8 ]] && should_fail; }; then
    say "  x  $(printf '%2d' "$i") $t (timeout 30000ms)"
    failed=$((failed + 1))
  else
    say "  ok $(printf '%2d' "$i") $t ($(( 300 + i * 37 ))ms)"
  fi
done
if [[ "$scope" == "--all" ]]; then
  for t in "broadcast to all users" "broadcast to a class" "mark as read" "unread badge" "email digest"; do
    say "  -  notifications: $t (skipped: deferred, HTTP 403 on broadcast endpoint)"
  done
fi
pause 0.2
passed=$(( ${#critical[@]} - failed ))
if [[ "$scope" == "--all" ]]; then
  say "$passed passed, $failed failed, 5 skipped (24 total)"
else
  say "$passed passed, $failed failed (19 critical)"
fi
(( failed == 0 ))
