#!/usr/bin/env bash
# README's test command runs this after setup: lint, types, then every test (unit and
# integration) against real Redis, SQLite, namespaces and Chromium. Ends with the plain
# "N passed, N failed" line CI reads.
set -uo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1 NEXT_TELEMETRY_DISABLED=1
mkdir -p .test-results
rm -f .test-results/vitest.json

status=0
npx turbo run lint typecheck --output-logs=errors-only || { echo "test: lint or typecheck failed" >&2; status=1; }
# The end-to-end tests, scripts and benchmarks live outside the workspaces: lint them here.
npx eslint test scripts bench || { echo "test: lint of test/, scripts/ or bench/ failed" >&2; status=1; }
npx vitest run --reporter=default --reporter=json --outputFile.json=.test-results/vitest.json "$@" || status=1
node scripts/test-summary.mjs .test-results/vitest.json || status=1
exit $status
