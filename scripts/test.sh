#!/usr/bin/env bash
# Runs every test: the unit and end-to-end tests under test/ (node's test runner), `saker test`
# over the default rules with their live cases (as root), then Falco's public conformance cases
# when ../shared is there.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
node --test --test-reporter=spec $(find dist/test -name '*.test.js' | sort) || status=1
# The default rules' capture cases ran above (test/rules-default); their live cases need root.
if [ "$(id -u)" -eq 0 ]; then
  echo "== Saker's default rules, capture and live cases (saker test)"
  bin/saker test rules/saker_rules.yaml rules/saker_rules_incubating.yaml rules/saker_rules_sandbox.yaml \
    --cases rules/tests || status=1
else
  echo "== Saker's default rules, live cases: SKIPPED, they run commands as root (CI runs as root)"
fi
shared=${SAKER_SHARED:-../shared}
if [ -f "$shared/conformance/run.py" ]; then
  echo "== Falco conformance cases ($shared/conformance)"
  python3 scripts/conformance.py --shared "$shared" || status=1
else
  echo "== Falco conformance cases: SKIPPED, $shared/conformance not found (CI always has it)"
fi
exit $status
