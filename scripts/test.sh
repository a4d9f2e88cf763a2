#!/usr/bin/env bash
# Runs every test: the unit and end-to-end tests under test/ (node's test runner), then
# Falco's public conformance cases when ../shared is there.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
node --test --test-reporter=spec $(find dist/test -name '*.test.js' | sort) || status=1
shared=${SAKER_SHARED:-../shared}
if [ -f "$shared/conformance/run.py" ]; then
  echo "== Falco conformance cases ($shared/conformance)"
  python3 scripts/conformance.py --shared "$shared" || status=1
else
  echo "== Falco conformance cases: SKIPPED, $shared/conformance not found (CI always has it)"
fi
exit $status
