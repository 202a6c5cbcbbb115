#!/usr/bin/env bash
# Stand-in for: npm run build
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/standin.sh"

say "> kitchen-kontrol@1.0.0 build"
say "> react-scripts build"
say "Creating an optimized production build..."
pause 0.3
if should_fail; then
  say "Failed to compile."
  say "src/components/ReportsView.js: 'formatDate' is not defined (no-undef)"
  exit 1
fi
say "Compiled successfully."
say ""
say "File sizes after gzip:"
say "  187.42 kB  build/static/js/main.4f9c2a1e.js"
say "  6.31 kB    build/static/css/main.8d2b7c03.css"
say "  1.77 kB    build/static/js/453.b2f1c9de.chunk.js"
