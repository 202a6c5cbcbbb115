#!/usr/bin/env bash
# Starts the rehearsal stand-in API in the background and waits until it listens.
#
# Usage: api-start.sh ROOT PORT PIDFILE
#   ROOT     folder of canned responses: GET or POST /a/b answers with ROOT/a/b.json (or .html)
#   PORT     port on 127.0.0.1
#   PIDFILE  where the server writes its pid once the port listens; its log goes beside it
#            (PIDFILE without .pid, plus .log). The folder is created if missing.
#
# The server is `"$TMINUS" example-api serve` (TMINUS is set by tminus for every command it runs).
# A server left over from an earlier rehearsal with the same PIDFILE is stopped first. The server
# stops with the run that started it (TMINUS_RUN_ID, in the journal TMINUS_JOURNAL names): a
# NO-GO, an abort or a rollback ends it within a second. Whatever happens, it stops by itself
# after STANDIN_API_STOP_AFTER (default 30m); api-stop.sh PIDFILE stops it at once.
#
# STANDIN_API_WAIT        seconds to wait for the port (default 5)
# STANDIN_API_STOP_AFTER  lifetime of the server (default 30m)
set -euo pipefail

root="${1:?usage: api-start.sh ROOT PORT PIDFILE}"
port="${2:?usage: api-start.sh ROOT PORT PIDFILE}"
pidfile="${3:?usage: api-start.sh ROOT PORT PIDFILE}"
tminus="${TMINUS:?TMINUS is not set: run this from a tminus runbook, or set TMINUS to the tminus binary}"
wait_s="${STANDIN_API_WAIT:-5}"
stop_after="${STANDIN_API_STOP_AFTER:-30m}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log="${pidfile%.pid}.log"
while_run=()
lifetime="stops by itself after $stop_after"
if [[ -n "${TMINUS_RUN_ID:-}" ]]; then
  while_run=(--while-run "$TMINUS_RUN_ID")
  lifetime="stops when run $TMINUS_RUN_ID ends, or after $stop_after"
fi

mkdir -p "$(dirname "$pidfile")"
bash "$here/api-stop.sh" "$pidfile" --quiet

# The server keeps nothing it inherited: its output goes to the log (a background process
# holding the step's pipes keeps tminus waiting for output that never ends), and every other
# descriptor is closed (an open pipe of whoever started tminus would never see its end).
(
  for fd in /dev/fd/*; do
    fd="${fd##*/}"
    if [[ "$fd" =~ ^[0-9]+$ ]] && ((fd > 2)); then
      eval "exec $fd>&-" 2>/dev/null || true
    fi
  done
  exec "$tminus" example-api serve --root "$root" --port "$port" --pidfile "$pidfile" \
    --stop-after "$stop_after" "${while_run[@]}" </dev/null >"$log" 2>&1
) &
server=$!

for ((i = 0; i < wait_s * 20; i++)); do
  if [[ -s "$pidfile" ]]; then
    echo "stand-in API listening on http://127.0.0.1:$port (pid $server, serving $root, $lifetime)"
    echo "log: $log"
    exit 0
  fi
  if ! kill -0 "$server" 2>/dev/null; then
    echo "stand-in API on port $port exited before it listened:" >&2
    cat "$log" >&2
    exit 1
  fi
  sleep 0.05
done

echo "stand-in API not listening on port $port after ${wait_s}s; stopping it" >&2
kill "$server" 2>/dev/null || true
cat "$log" >&2
exit 1
