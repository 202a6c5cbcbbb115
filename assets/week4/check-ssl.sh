#!/usr/bin/env bash
# Stand-in for: openssl s_client -connect kitchen-kontrol-staging.onrender.com:443 | openssl x509 -noout -dates
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/standin.sh"

say "subject=CN = *.onrender.com"
say "issuer=C = US, O = Google Trust Services, CN = WE1"
say "notAfter=Dec 29 11:02:17 2025 GMT"
if should_fail; then
  say "certificate expired"
  exit 1
fi
say "certificate valid"
