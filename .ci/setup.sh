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
# .doc/.wps/.rtf/.odt files (ingest/office.py, tests/test_office.py): LibreOffice converts them headless
command -v soffice >/dev/null || need+=(libreoffice-writer-nogui)
# OCR (the [ocr] extra, tests/test_ocr.py): opencv-python, which rapidocr_onnxruntime needs, loads libGL and GLib
ldconfig -p | grep 'libGL\.so\.1 ' >/dev/null || need+=(libgl1)
ldconfig -p | grep 'libgthread-2\.0\.so\.0 ' >/dev/null || need+=(libglib2.0-0)
if [ ${#need[@]} -gt 0 ]; then
  if [ "${1:-}" = "--missing" ]; then printf '%s\n' "${need[@]}"; exit 0; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
