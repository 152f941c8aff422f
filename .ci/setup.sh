#!/usr/bin/env bash
# System packages the tests need (Debian). Each block is idempotent and quiet.
set -euo pipefail
need=()
# (blocks add package names to need=() when their binary is missing)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
