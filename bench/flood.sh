#!/usr/bin/env bash
# A step printing 200 MB of base64 lines (FLOOD_MB to change), run headless with its SQLite
# journal, against `cat` of the same bytes to a file plus fsync on the same disk, in the same run,
# and against SQLite alone storing those bytes with the journal's settings (the floor under any
# journaled flood: examples/sqlite_floor.rs).
# Then `tminus log` gives the step's output back, and its checksum must equal the file's.
# Prints the times, the rates, the ratio and tminus's peak memory. Build first: cargo build --release
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."

mb=${FLOOD_MB:-200}
rounds=${ROUNDS:-3}
bin=$(realpath "${TMINUS_BIN:-target/release/tminus}")
[ -x "$bin" ] || { echo "no $bin: run cargo build --release first" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is needed for peak memory: apt-get install time" >&2; exit 2; }
cargo build --release --quiet --example sqlite_floor
floor_bin=target/release/examples/sqlite_floor

# On disk, where the journal of a real run lives (a tmpfs would make fsync free).
work=$(mktemp -d "${FLOOD_DIR:-$PWD/target}/flood.XXXXXX")
trap 'rm -rf "$work"' EXIT

head -c $((mb * 1024 * 1024 * 3 / 4)) /dev/urandom | base64 -w 76 > "$work/data.txt"
bytes=$(stat -c %s "$work/data.txt")
printf '[runbook]\nname = "flood"\n[[phase]]\nid = "p"\n  [[phase.step]]\n  id = "flood"\n  run = "cat %s"\n' \
  "$work/data.txt" > "$work/flood.toml"

now() { date +%s.%N; }
seconds() { echo "$2 - $1" | bc -l; }

cat_fsync() {
  rm -f "$work/copy.txt"
  local start end
  start=$(now)
  cat "$work/data.txt" > "$work/copy.txt"
  sync -f "$work/copy.txt"
  end=$(now)
  seconds "$start" "$end"
}

# Wall time of one headless run on a fresh journal; its peak memory goes to $work/peak.
tminus_run() {
  rm -rf "$work/j"
  local start end
  start=$(now)
  /usr/bin/time -f %M -o "$work/peak" "$bin" --journal "$work/j/journal.db" run "$work/flood.toml" --headless > /dev/null
  end=$(now)
  seconds "$start" "$end"
}

sqlite_alone() {
  rm -f "$work"/floor.db*
  "$floor_bin" "$work/data.txt" "$work"
}

best_cat="" best_tminus="" best_floor="" peak=0
for _ in $(seq 1 "$rounds"); do
  t=$(cat_fsync)
  if [ -z "$best_cat" ] || [ "$(echo "$t < $best_cat" | bc -l)" = 1 ]; then best_cat=$t; fi
  t=$(sqlite_alone)
  if [ -z "$best_floor" ] || [ "$(echo "$t < $best_floor" | bc -l)" = 1 ]; then best_floor=$t; fi
  t=$(tminus_run)
  if [ -z "$best_tminus" ] || [ "$(echo "$t < $best_tminus" | bc -l)" = 1 ]; then best_tminus=$t; fi
  p=$(cat "$work/peak")
  [ "$p" -gt "$peak" ] && peak=$p
done

rate() { echo "$bytes / 1048576 / $1" | bc -l; }
printf 'output: %d MB of base64 lines, best of %d rounds\n' $((bytes / 1048576)) "$rounds"
printf '%-40s %7.3f s  %7.1f MB/s\n' "cat to a file + fsync" "$best_cat" "$(rate "$best_cat")"
printf '%-40s %7.3f s  %7.1f MB/s  (%.2fx cat + fsync)\n' "SQLite alone, same pages and log" "$best_floor" \
  "$(rate "$best_floor")" "$(echo "$best_floor / $best_cat" | bc -l)"
printf '%-40s %7.3f s  %7.1f MB/s  (goal: 200 MB/s or more)\n' "tminus run --headless, journal on" \
  "$best_tminus" "$(rate "$best_tminus")"
printf 'ratio tminus / cat + fsync: %.2fx (goal: within 2.5x)\n' "$(echo "$best_tminus / $best_cat" | bc -l)"
printf 'ratio tminus / SQLite alone: %.2fx\n' "$(echo "$best_tminus / $best_floor" | bc -l)"
printf 'peak memory of tminus: %.1f MB (goal: under 64 MB)\n' "$(echo "$peak / 1024" | bc -l)"

run=$("$bin" --journal "$work/j/journal.db" runs | awk 'NR == 2 { print $1 }')
start=$(now)
got=$("$bin" --journal "$work/j/journal.db" log "$run" flood | sha256sum | cut -d' ' -f1)
end=$(now)
want=$(sha256sum "$work/data.txt" | cut -d' ' -f1)
t_log=$(seconds "$start" "$end")
printf '%-40s %7.3f s  %7.1f MB/s\n' "tminus log RUN flood | sha256sum" "$t_log" "$(rate "$t_log")"
if [ "$got" = "$want" ]; then
  echo "tminus log gives every byte back: sha256 $got"
else
  echo "tminus log differs from what the step printed: $got, not $want" >&2
  exit 1
fi
