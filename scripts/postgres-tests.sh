#!/usr/bin/env bash
# Runs inside scripts/with-postgres.sh (pg_virtualenv exports PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE):
# the store tests, then the HTTP and conformance tests once more with the broker on the PostgreSQL store (the HTTP tests
# with a mosquitto for their MQTT notifications).
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
echo "== tests/Broker.StoreTests (PostgreSQL and embedded)"
dotnet test tests/Broker.StoreTests -c Release --no-build --logger "console;verbosity=minimal" || status=1

export Storage__Provider=Postgres
export ConnectionStrings__Postgres="Host=${PGHOST};Port=${PGPORT};Username=${PGUSER};Password=${PGPASSWORD};Database=${PGDATABASE}"
for project in tests/Broker.HttpTests conformance-tests; do
  echo "== $project (PostgreSQL store)"
  # The HTTP tests' MQTT notifications go to a throwaway mosquitto (see scripts/with-mosquitto.sh).
  runner=()
  [ "$project" != tests/Broker.HttpTests ] || runner=(scripts/with-mosquitto.sh)
  "${runner[@]}" dotnet test "$project" -c Release --no-build --logger "console;verbosity=minimal" || status=1
done
exit $status
