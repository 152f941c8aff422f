#!/usr/bin/env bash
# System packages the tests need (Debian). Each block is idempotent and quiet.
# .ci/run runs it, and so does the test run itself (tests/conftest.py) when a package is missing and
# it runs as root or under CI. `bash .ci/setup.sh --missing` prints what it would install, installing nothing.
set -euo pipefail
need=()
# (blocks add package names to need=() when their binary is missing)
# report.html browser tests (tests/test_browser.py): headless Chromium, and a CJK font for readable screenshots
command -v chromium >/dev/null || need+=(chromium)
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need+=(fonts-wqy-microhei)
# chachong index on Redis (tests/test_index.py starts its own redis-server on a free port)
command -v redis-server >/dev/null || need+=(redis-server)
if [ ${#need[@]} -gt 0 ]; then
  if [ "${1:-}" = "--missing" ]; then printf '%s\n' "${need[@]}"; exit 0; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
