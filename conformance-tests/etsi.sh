#!/usr/bin/env bash
# Runs the ETSI NGSI-LD API conformance suite against this broker, once per store, and rewrites
# conformance-tests/ETSI.md with the counts per area, the suite's commit, the date and the command.
#
#   conformance-tests/etsi.sh                      # the whole suite (and its MQTT tests, etsi_mqtt.sh), both stores
#   conformance-tests/etsi.sh --store embedded     # one store only (ETSI.md keeps the other store's last counts out)
#   conformance-tests/etsi.sh consumption          # one area (an alias of run-etsi.sh --list); ETSI.md is not rewritten
#
# The runner is the offline one of the shared tools (ETSI_RUNNER, default ../shared/tools/etsi/run-etsi.sh); its README
# names the repositories it needs. The broker runs from a Release build on port 1026, where the suite expects it; the
# PostgreSQL run gets a throwaway cluster from scripts/with-postgres.sh. The runs' folders are printed at the end.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNNER=${ETSI_RUNNER:-$ROOT/../shared/tools/etsi/run-etsi.sh}
PORT=1026
BROKER_DLL=$ROOT/src/Broker/bin/Release/net10.0/Broker.dll

# One store's run, inside with-postgres.sh for PostgreSQL: etsi.sh --run-one STORE FOLDER [SUBSET...]
if [ "${1:-}" = "--run-one" ]; then
  store=$2 folder=$3
  shift 3
  mkdir -p "$folder/data"
  store_args=(--Storage:DataPath "$folder/data")
  if [ "$store" = postgres ]; then
    store_args+=(--Storage:Provider Postgres
      --ConnectionStrings:Postgres "Host=$PGHOST;Port=$PGPORT;Username=$PGUSER;Password=$PGPASSWORD;Database=$PGDATABASE")
  fi
  # Temporal:InstanceLimit 10: the suite's pagination tests expect a limit between 5 and 19.
  dotnet "$BROKER_DLL" --urls "http://0.0.0.0:$PORT" "${store_args[@]}" --Outbound:AllowLoopback true \
    --Temporal:InstanceLimit 10 --Security:AllowAnonymous true >"$folder/broker.log" 2>&1 &
  broker=$!
  trap 'kill $broker 2>/dev/null; wait $broker 2>/dev/null || true' EXIT
  for _ in $(seq 120); do
    curl -sf -o /dev/null "http://localhost:$PORT/ngsi-ld/v1/types" && break
    kill -0 $broker 2>/dev/null || { echo "the broker did not start (see $folder/broker.log)" >&2; exit 3; }
    sleep 0.5
  done
  status=0
  "$RUNNER" -u "http://localhost:$PORT" -o "$folder/results" "$@" >"$folder/etsi.log" 2>&1 || status=$?
  [ -f "$folder/results/summary.txt" ] || { echo "the runner wrote no summary (exit $status, see $folder/etsi.log)" >&2; exit 3; }
  if [ $# -eq 0 ]; then
    "$ROOT/conformance-tests/etsi_mqtt.sh" "$folder/mqtt" >"$folder/mqtt.log" 2>&1 ||
      { echo "the MQTT notification tests did not run (see $folder/mqtt.log)" >&2; exit 3; }
  fi
  exit 0
fi

stores=(embedded postgres)
subset=()
while [ $# -gt 0 ]; do
  case "$1" in
    --store)
      case "${2:-}" in
        embedded | postgres) stores=("$2") ;;
        both) stores=(embedded postgres) ;;
        *) echo "--store takes embedded, postgres or both" >&2; exit 2 ;;
      esac
      shift 2 ;;
    -h | --help) sed -n '2,12p' "$0"; exit 0 ;;
    *) subset+=("$1"); shift ;;
  esac
done
[ -x "$RUNNER" ] || { echo "no ETSI runner at $RUNNER (set ETSI_RUNNER)" >&2; exit 3; }
if curl -s -o /dev/null "http://localhost:$PORT/"; then
  echo "port $PORT is taken: the suite needs the broker there" >&2
  exit 3
fi

dotnet build "$ROOT/src/Broker" -c Release -v quiet -nologo >/dev/null
# The MQTT notification tests need mosquitto; with-mosquitto.sh installs it when missing.
[ ${#subset[@]} -eq 0 ] && "$ROOT/scripts/with-mosquitto.sh" true
runs=$(mktemp -d "${TMPDIR:-/tmp}/etsi-runs.XXXX")
for store in "${stores[@]}"; do
  echo "== ETSI suite, $store store" >&2
  if [ "$store" = postgres ]; then
    "$ROOT/scripts/with-postgres.sh" "$0" --run-one postgres "$runs/postgres" "${subset[@]}"
  else
    "$0" --run-one embedded "$runs/embedded" "${subset[@]}"
  fi
  head -1 "$runs/$store/results/summary.txt" >&2
done

if [ ${#subset[@]} -eq 0 ]; then
  suite_commit=$(sed -n 's/.*run-etsi: suite \([0-9a-f]*\).*/\1/p' "$runs/${stores[0]}/etsi.log" | head -1)
  command="conformance-tests/etsi.sh"
  [ ${#stores[@]} -eq 1 ] && command+=" --store ${stores[0]}"
  python3 "$ROOT/conformance-tests/etsi_report.py" --runs "$runs" --stores "${stores[@]}" \
    --suite "$suite_commit" --broker "$(git -C "$ROOT" rev-parse --short HEAD)" --command "$command" \
    --notes "$ROOT/conformance-tests/etsi-notes.md" >"$ROOT/conformance-tests/ETSI.md"
  echo "wrote conformance-tests/ETSI.md" >&2
fi
echo "runs: $runs (per store: results/summary.txt, results/failures.txt, broker.log)" >&2
