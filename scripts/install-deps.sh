#!/usr/bin/env bash
# Installs the Debian packages Saker's build and tests need, when they are missing.
set -euo pipefail
need=()
for pkg in make g++ python3; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "  APT     ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
