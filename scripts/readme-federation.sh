#!/usr/bin/env bash
# Runs the commands of the README's "Federating with a neighbouring city" as they are written there, except that the two
# brokers run on free ports (LUEBECK_PORT, BAD_SCHWARTAU_PORT) with throwaway data folders, as `dotnet BROKER_DLL`
# (default: the Release build) rather than `dotnet run --project src/Broker`. Then checks the section's last two answers:
# the query on Lübeck names both car parks, the one with local=true only Lübeck's. Run by tests/Broker.HttpTests.
set -euo pipefail
cd "$(dirname "$0")/.."
broker_dll=${BROKER_DLL:-src/Broker/bin/Release/net10.0/Broker.dll}
luebeck=${LUEBECK_PORT:-$((20000 + RANDOM % 20000))}
bad_schwartau=${BAD_SCHWARTAU_PORT:-$((40000 + RANDOM % 20000))}
# The README's brokers are on the embedded store, each in its own folder, also when the tests run on PostgreSQL.
unset Storage__Provider ConnectionStrings__Postgres
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait
  rm -rf "$work"
}
trap cleanup EXIT

section=$(awk '/^## Federating with a neighbouring city/ { on = 1; next } /^## / { on = 0 } on' README.md)
# The n-th fenced block of the section, on this run's ports.
block() {
  awk -v n="$1" '/^```/ { open = !open; if (open) count++; next } open && count == n' <<<"$section" \
    | sed -e "s/localhost:1026/localhost:$luebeck/g" -e "s/localhost:1027/localhost:$bad_schwartau/g"
}

brokers=0
while read -r line; do
  [[ "$line" == "dotnet run --project src/Broker -- "* ]] || continue
  line=${line%%#*}
  read -ra arguments <<<"${line#dotnet run --project src/Broker -- }"
  brokers=$((brokers + 1))
  dotnet "$broker_dll" "${arguments[@]}" --Storage:DataPath "$work/broker$brokers" --Logging:LogLevel:Default Warning \
    >"$work/broker$brokers.log" 2>&1 &
  pids+=($!)
done < <(block 1)
[ "$brokers" -eq 2 ] || { echo "expected two broker commands in the README section, found $brokers" >&2; exit 1; }

for port in "$luebeck" "$bad_schwartau"; do
  for _ in $(seq 1 120); do
    curl -sf "http://localhost:$port/ready" >/dev/null && continue 2
    sleep 0.5
  done
  echo "the broker on port $port did not start:" >&2
  cat "$work"/broker*.log >&2
  exit 1
done

answers=0
curl() {
  answers=$((answers + 1))
  command curl -sS --fail-with-body "$@" >"$work/answer$answers"
}
eval "$(block 2)"

both=$(cat "$work/answer$((answers - 1))")
own=$(cat "$work/answer$answers")
if [[ "$both" != *haerder-center* || "$both" != *bad-schwartau:markt* ]]; then
  echo "the query on Lübeck did not answer both car parks: $both" >&2
  exit 1
fi
if [[ "$own" != *haerder-center* || "$own" == *bad-schwartau* ]]; then
  echo "the query with local=true did not answer Lübeck's car park alone: $own" >&2
  exit 1
fi
echo "README federation example: both car parks federated, local=true Lübeck's only"
