#!/usr/bin/env bash
# Per-step overhead of a headless run with the journal on, against bash running the same commands.
#
# 200 trivial steps (each an external command, as a real step would run one) go through
# `tminus run --headless` with its SQLite journal, and the same 200 commands run from one bash
# script, each in its own `bash -c` as tminus runs them, and once more as plain lines of a script.
# Prints the times and the ratios. Build first: cargo build --release
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."

steps=${STEPS:-200}
rounds=${ROUNDS:-5}
bin=${TMINUS_BIN:-target/release/tminus}
[ -x "$bin" ] || { echo "no $bin: run cargo build --release first" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

{
  printf '[runbook]\nname = "step overhead"\n\n[[phase]]\nid = "all"\n'
  for i in $(seq 1 "$steps"); do
    printf '  [[phase.step]]\n  id = "s%d"\n  run = "/bin/echo step %d"\n' "$i" "$i"
  done
} > "$work/steps.toml"
{
  echo '#!/usr/bin/env bash'
  for i in $(seq 1 "$steps"); do echo "bash -c '/bin/echo step $i'"; done
} > "$work/each-in-bash-c.sh"
{
  echo '#!/usr/bin/env bash'
  for i in $(seq 1 "$steps"); do echo "/bin/echo step $i"; done
} > "$work/plain.sh"

# Wall-clock seconds of one run of a command.
timed() {
  local start end
  start=$(date +%s.%N)
  "$@" > /dev/null 2>&1 || { echo "failed: $*" >&2; return 1; }
  end=$(date +%s.%N)
  echo "$end - $start" | bc -l
}

# The smaller of a best so far (or none) and a new time.
least() { if [ -z "$1" ] || [ "$(echo "$2 < $1" | bc -l)" = 1 ]; then echo "$2"; else echo "$1"; fi; }

# Best of N wall-clock seconds for a command.
best() {
  local best=""
  for _ in $(seq 1 "$rounds"); do best=$(least "$best" "$(timed "$@")"); done
  echo "$best"
}

run_tminus() {
  rm -rf "$work/j"
  "$bin" --journal "$work/j/journal.db" run "$work/steps.toml" --headless < /dev/null
}

# The three take turns, round after round, so a busy moment of a shared machine falls on all of them.
t_tminus="" t_bashc="" t_plain=""
for _ in $(seq 1 "$rounds"); do
  t_tminus=$(least "$t_tminus" "$(timed run_tminus)")
  t_bashc=$(least "$t_bashc" "$(timed bash "$work/each-in-bash-c.sh")")
  t_plain=$(least "$t_plain" "$(timed bash "$work/plain.sh")")
done

per_step() { echo "scale=3; $1 * 1000 / $steps" | bc -l; }
printf '%-44s %8.3f s  (%6.3f ms/step)\n' "tminus run --headless, journal on" "$t_tminus" "$(per_step "$t_tminus")"
printf '%-44s %8.3f s  (%6.3f ms/step)\n' "bash script, each command in bash -c" "$t_bashc" "$(per_step "$t_bashc")"
printf '%-44s %8.3f s  (%6.3f ms/step)\n' "bash script, commands as plain lines" "$t_plain" "$(per_step "$t_plain")"
printf 'ratio tminus / bash -c per command: %.2fx (goal: within 1.2x)\n' "$(echo "$t_tminus / $t_bashc" | bc -l)"
printf 'ratio tminus / plain bash script:   %.2fx\n' "$(echo "$t_tminus / $t_plain" | bc -l)"

if command -v ansible-playbook > /dev/null; then
  {
    echo '- hosts: localhost'
    echo '  connection: local'
    echo '  gather_facts: false'
    echo '  tasks:'
    for i in $(seq 1 "$steps"); do printf '    - command: /bin/echo step %d\n' "$i"; done
  } > "$work/play.yml"
  # The interpreter ansible itself runs on, so module runs do not depend on discovery.
  python=$(python3 -c 'import sys; print(sys.executable)')
  t_ansible=$(rounds=1 best ansible-playbook -i localhost, -e "ansible_python_interpreter=$python" "$work/play.yml")
  printf '%-44s %8.3f s\n' "ansible-playbook, same commands" "$t_ansible"
  printf 'ansible-playbook / tminus: %.1fx (goal: over 100x)\n' "$(echo "$t_ansible / $t_tminus" | bc -l)"
else
  echo "ansible-playbook not installed: pip install ansible-core to compare"
fi
