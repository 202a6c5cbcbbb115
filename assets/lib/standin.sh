#!/usr/bin/env bash
# (sourced by the stand-ins; running it on its own does nothing)
set -euo pipefail

# Shared helpers for the rehearsal stand-in scripts. Sourced, never run on its own:
#
#   source "$(dirname "${BASH_SOURCE[0]}")/../lib/standin.sh"
#
# STANDIN_PAUSE  seconds to wait after each printed line (default 0.02; 0 = instant)
# STANDIN_FAIL   comma- or space-separated names of stand-ins that must fail this time,
#                e.g. STANDIN_FAIL=preflight-check or STANDIN_FAIL=run-tests:frontend
#                Use it to rehearse a NO-GO, a retry or a rollback.

STANDIN_NAME="$(basename "$0" .sh)"

# say TEXT...  print one line to stdout, then pause briefly so output streams like the real tool
say() {
  printf '%s\n' "$*"
  sleep "${STANDIN_PAUSE:-0.02}"
}

# warn TEXT...  print one line to stderr
warn() {
  printf '%s\n' "$*" >&2
}

# pause SECONDS  a longer wait, for the slow part of a real tool (keep it under half a second)
pause() {
  sleep "$1"
}

# should_fail [TAG...]  true when STANDIN_FAIL names this script, or NAME:TAG for one of the tags
should_fail() {
  local list=" ${STANDIN_FAIL:-} "
  list="${list//,/ }"
  [[ "$list" == *" $STANDIN_NAME "* ]] && return 0
  fails_tag "$@"
}

# fails_tag TAG...  true only when STANDIN_FAIL names NAME:TAG for one of the tags
fails_tag() {
  local list=" ${STANDIN_FAIL:-} " tag
  list="${list//,/ }"
  for tag in "$@"; do
    [[ "$list" == *" $STANDIN_NAME:$tag "* ]] && return 0
  done
  return 1
}

# value_of VAR_NAME  the value of a variable, or <unset> (never fails under set -u)
value_of() {
  local name="$1"
  printf '%s' "${!name:-<unset>}"
}
