#!/usr/bin/env bash
# Runs every test of the broker: unit, HTTP, store and conformance tests.
# Installs what the tests need on a fresh Debian machine (the .NET SDK is expected on PATH).
# Not -e: a failing test project must not stop the others (each result is checked below).
set -uo pipefail
cd "$(dirname "$0")"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

dotnet build Broker.sln -c Release -warnaserror || exit 1
dotnet format Broker.sln --verify-no-changes --no-restore --severity warn || exit 1

log=$(mktemp)
trap 'rm -f "$log"' EXIT

status=0
for project in tests/Ontology.Tests tests/Broker.Tests tests/Broker.HttpTests tests/Adapters.Tests tests/Samples.Tests tests/Browser.Tests conformance-tests; do
  echo "== $project"
  # The HTTP tests notify MQTT endpoints (clause 7): with-mosquitto.sh installs mosquitto when missing and runs them
  # against a throwaway one, with CI=true so that they fail rather than skip if it is not reachable.
  runner=()
  [ "$project" != tests/Broker.HttpTests ] && [ "$project" != tests/Adapters.Tests ] || runner=(scripts/with-mosquitto.sh)
  # The browser tests drive Debian's chromium (installed by with-chromium.sh when missing), failing under CI=true if it cannot start.
  [ "$project" != tests/Browser.Tests ] || runner=(scripts/with-chromium.sh)
  "${runner[@]}" dotnet test "$project" -c Release --no-build --logger "console;verbosity=minimal" 2>&1 | tee -a "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
done
# The store tests, and the HTTP and conformance tests on the PostgreSQL store, need PostgreSQL 15 + PostGIS:
# with-postgres.sh installs them when missing and runs the tests in a throwaway cluster (pg_virtualenv), with
# CI=true so they fail rather than skip if the database is not reachable.
scripts/with-postgres.sh scripts/postgres-tests.sh 2>&1 | tee -a "$log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

# One closing line for every test project together.
passed=$(grep -oE 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -oE 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
# The names of failed tests last, so that they are in view even when the PostgreSQL server log (which pg_virtualenv
# prints when its command fails) fills the screen above.
if [ "$failed" -ne 0 ]; then
  echo "failed tests:"
  grep -E '^[[:space:]]*Failed [A-Za-z_][^ ]* \[' "$log" | sed -E 's/^[[:space:]]*/  /' | sort -u
fi
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ] || status=1
exit $status
