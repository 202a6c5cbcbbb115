#!/usr/bin/env bash
# Stand-in for the workflow test run: branch test/workflow-verification, a README commit, a push.
#   trigger-workflows.sh            create the branch and push it
#   trigger-workflows.sh --dry-run  print what would happen
#   trigger-workflows.sh --cleanup  delete the branch locally and on origin (closes the test PR)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/standin.sh"

branch="test/workflow-verification"
case "${1:-}" in
  --dry-run)
    say "would run: git checkout -b $branch"
    say "would run: echo '# Testing workflows' >> README.md && git commit -am 'test: verify GitHub Actions workflows'"
    say "git push --dry-run origin $branch"
    say " * [new branch]      $branch -> $branch"
    say "dry run: nothing pushed"
    ;;
  --cleanup)
    say "git checkout main"
    say "git branch -D $branch: Deleted branch $branch (was 5d0e7a2)."
    say "git push origin --delete $branch: - [deleted]  $branch"
    say "test branch removed"
    ;;
  "")
    say "git checkout -b $branch: Switched to a new branch '$branch'"
    say "[${branch} 5d0e7a2] test: verify GitHub Actions workflows"
    say " 1 file changed, 1 insertion(+)"
    pause 0.2
    if should_fail; then
      say "remote: Permission to kitchen-kontrol.git denied"
      exit 1
    fi
    say " * [new branch]      $branch -> $branch"
    say "pushed $branch"
    say "open a pull request: https://github.com/rubyrayjuntos/kitchen-kontrol/pull/new/$branch"
    ;;
  *) warn "unknown argument: $1"; exit 2 ;;
esac
