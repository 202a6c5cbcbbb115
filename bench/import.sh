#!/usr/bin/env bash
# `tminus import` on Markdown plans of 0.6, 1.25, 2.5 and 5 MB (sections, checklist items with
# links, bash fences): the time of each, its rate, and the time per MB against the smallest,
# which stays near 1.0 while import is linear in its input. The goal: 5 MB in under 2 s.
# Peer: `wc -l` reading the same file, the floor of any pass over it.
# Build first: cargo build --release
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${TMINUS_BIN:-target/release/tminus}")
[ -x "$bin" ] || { echo "no $bin: run cargo build --release first" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

plan() {
  python3 - "$1" "$2" <<'PY'
import sys
size, path = int(sys.argv[1]), sys.argv[2]
out, i, n = ["# Plan", ""], 0, 0
while n < size:
    part = [f"## Section {i} (09:00-09:30)",
            f"- [ ] Check [the dashboard](https://example.com/d/{i}) for errors",
            f"```bash\necho step {i}\n```", ""]
    out += part
    n += sum(len(p) + 1 for p in part)
    i += 1
open(path, "w").write("\n".join(out))
PY
}

now() { date +%s.%N; }
first=""
for kb in 625 1250 2500 5000; do
  plan $((kb * 1000)) "$work/plan.md"
  start=$(now); wc -l "$work/plan.md" >/dev/null; peer=$(echo "$(now) - $start" | bc -l)
  start=$(now); "$bin" import "$work/plan.md" -o "$work/plan.toml" --force >/dev/null 2>&1
  took=$(echo "$(now) - $start" | bc -l)
  per_mb=$(echo "$took / ($kb / 1000)" | bc -l)
  [ -n "$first" ] || first=$per_mb
  printf '%5.2f MB   import %6.3f s  (%5.2f s/MB, %4.2fx the smallest per MB)   wc -l %6.4f s\n' \
    "$(echo "$kb / 1000" | bc -l)" "$took" "$per_mb" "$(echo "$per_mb / $first" | bc -l)" "$peer"
done
echo "goal: 5 MB in under 2 s, and the same time per MB at every size"
