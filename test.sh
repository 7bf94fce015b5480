#!/usr/bin/env bash
# Runs every test of the broker: unit, HTTP, store and conformance tests.
# Installs what the tests need on a fresh Debian machine (the .NET SDK is expected on PATH).
set -euo pipefail
cd "$(dirname "$0")"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

dotnet build Broker.sln -c Release -warnaserror
dotnet format Broker.sln --verify-no-changes --no-restore --severity warn

status=0
for project in tests/Ontology.Tests tests/Broker.Tests tests/Broker.HttpTests conformance-tests; do
  echo "== $project"
  dotnet test "$project" -c Release --no-build --logger "console;verbosity=minimal" || status=1
done
# The store tests, and the HTTP and conformance tests on the PostgreSQL store, need PostgreSQL 15 + PostGIS:
# with-postgres.sh installs them when missing and runs the tests in a throwaway cluster (pg_virtualenv), with
# CI=true so they fail rather than skip if the database is not reachable.
scripts/with-postgres.sh scripts/postgres-tests.sh || status=1
exit $status
