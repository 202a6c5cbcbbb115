#!/usr/bin/env bash
# Stops the rehearsal stand-in API that api-start.sh started, and removes its pid file.
#
# Usage: api-stop.sh PIDFILE [--quiet]
#
# Idempotent: no pid file, a stale one, or a server that has already stopped is not an error.
# Only a process that really is `tminus example-api serve` is signalled, so a pid reused by
# something else is left alone. --quiet prints nothing when there was nothing to stop.
set -euo pipefail

pidfile="${1:?usage: api-stop.sh PIDFILE [--quiet]}"
quiet="${2:-}"

note() {
  [[ "$quiet" == --quiet ]] || echo "$*"
}

# alive PID  true while PID runs (a zombie waiting for its parent to reap it does not count)
alive() {
  kill -0 "$1" 2>/dev/null || return 1
  local stat
  if [[ -r "/proc/$1/stat" ]] && read -r stat <"/proc/$1/stat" 2>/dev/null; then
    stat="${stat##*) }"
    [[ "${stat%% *}" != Z ]]
  fi
}

# is_standin PID  true when PID's command line is the stand-in server (true where /proc is missing)
is_standin() {
  local args=()
  [[ -r "/proc/$1/cmdline" ]] || return 0
  mapfile -d '' args <"/proc/$1/cmdline" 2>/dev/null || return 0
  [[ " ${args[*]} " == *" example-api serve "* ]]
}

if [[ ! -e "$pidfile" ]]; then
  note "stand-in API not running (no $pidfile)"
  exit 0
fi
pid="$(<"$pidfile")" || pid=""
pid="${pid//[[:space:]]/}"
if [[ ! "$pid" =~ ^[0-9]+$ ]] || ! alive "$pid"; then
  rm -f "$pidfile"
  note "stand-in API already stopped (removed the stale $pidfile)"
  exit 0
fi
if ! is_standin "$pid"; then
  rm -f "$pidfile"
  note "pid $pid is not the stand-in API any more: left alone, $pidfile removed"
  exit 0
fi

kill -TERM "$pid" 2>/dev/null || true
for ((i = 0; i < 40; i++)); do
  alive "$pid" || break
  sleep 0.05
done
if alive "$pid"; then
  kill -KILL "$pid" 2>/dev/null || true
fi
rm -f "$pidfile"
echo "stand-in API stopped (pid $pid)"
