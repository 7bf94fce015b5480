#!/usr/bin/env bash
# The temporal API's figures (issue 11) into the "Temporal API" section of benchmarks/RESULTS.md (run.sh keeps it when
# it rewrites the rest): S8 and S9, the temporal queries (each with its preloaded history: 1 000 000 instances on
# PostgreSQL, which takes minutes, 100 000 on the embedded store), and what recording the history costs an attribute
# PATCH stream, S6 with the history against S10 without (target ≥ 70 %), in pairs of runs taken back to back: on a
# shared machine the rate of single runs varies by more than the history costs. Not part of ./test.sh.
#
#   benchmarks/temporal.sh                                  embedded: S8, S9, 3 pairs of S6/S10 (2 s warm-up + 8 s each)
#   scripts/with-postgres.sh benchmarks/temporal.sh --store both --pairs 4
#   options: --store embedded|postgres|both, --pairs N, --duration S, --warmup S, --connection TEXT, --no-queries
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
command="benchmarks/temporal.sh${*:+ $*}"
stores=embedded pairs=3 duration=8 warmup=2 connection="" queries=yes
while [ $# -gt 0 ]; do
  case "$1" in
    --store) stores=$2; shift 2 ;;
    --pairs) pairs=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --connection) connection=$2; shift 2 ;;
    --no-queries) queries=no; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ "$stores" = both ] && stores="embedded postgres"
if [ -z "$connection" ] && [ -n "${PGHOST:-}" ]; then
  connection="Host=${PGHOST};Port=${PGPORT:-5432};Username=${PGUSER:-postgres};Password=${PGPASSWORD:-};Database=${PGDATABASE:-postgres};SSL Mode=Disable"
fi

dotnet build src/Broker -c Release -warnaserror --nologo -v quiet
dotnet build benchmarks/Load -c Release -warnaserror --nologo -v quiet
commit=$(git rev-parse --short HEAD)
git diff --quiet HEAD -- . ':!benchmarks/RESULTS.md' || commit="$commit + uncommitted changes"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# One run of one scenario: "ops/s cpu-ms" from the load tool's table row.
run() {
  local store=$1 scenario=$2 args=(--scenarios "$2" --duration "$duration" --warmup "$warmup" --store "$1")
  [ "$store" = postgres ] && args+=(--connection "$connection")
  dotnet benchmarks/Load/bin/Release/net10.0/Load.dll "${args[@]}" 2>/dev/null \
    | awk -F'|' -v id="$scenario" '$2 ~ "^ "id" " { gsub(/[ ,]/, "", $5); split($9, cpu, " "); print $5, cpu[1] }'
}

# The load tool's table rows of the temporal queries on one store.
query_rows() {
  local args=(--scenarios S8,S9 --duration "$duration" --warmup "$warmup" --store "$1")
  [ "$1" = postgres ] && args+=(--connection "$connection")
  dotnet benchmarks/Load/bin/Release/net10.0/Load.dll "${args[@]}" 2>/dev/null | grep -E '^\| S(8|9) ' || true
}

rows="" summary="" queries_table=""
for store in $stores; do
  if [ "$store" = postgres ] && [ -z "$connection" ]; then
    echo "postgres needs --connection or PG* variables (scripts/with-postgres.sh)" >&2
    exit 2
  fi
  if [ "$queries" = yes ]; then
    echo "S8, S9 on $store (preloading the history)" >&2
    found=$(query_rows "$store")
    if [ -z "$found" ]; then
      echo "S8/S9 on $store gave no result" >&2
      exit 1
    fi
    queries_table+="$found"$'\n'
  fi
  total6=0 total10=0
  for pair in $(seq 1 "$pairs"); do
    read -r rate6 cpu6 < <(run "$store" S6)
    read -r rate10 cpu10 < <(run "$store" S10)
    if [ -z "${rate6:-}" ] || [ -z "${rate10:-}" ]; then
      echo "a run of pair $pair on $store gave no result" >&2
      exit 1
    fi
    total6=$((total6 + rate6)) total10=$((total10 + rate10))
    ratio=$(awk -v a="$rate6" -v b="$rate10" 'BEGIN { printf "%.0f %%", 100 * a / b }')
    cpu_ratio=$(awk -v a="$cpu6" -v b="$cpu10" 'BEGIN { printf "%.0f %%", 100 * b / a }')
    rows+="| $pair | $store | $rate6 | $rate10 | $ratio | $cpu6 | $cpu10 | $cpu_ratio |"$'\n'
    echo "pair $pair $store: S6 $rate6/s ($cpu6 ms), S10 $rate10/s ($cpu10 ms)" >&2
  done
  share=$(awk -v a="$total6" -v b="$total10" 'BEGIN { printf "%.0f", 100 * a / b }')
  verdict=$([ "$share" -ge 70 ] && echo met || echo "not met")
  summary+="- $store: all pairs together, S6 made $share % of S10's PATCHes (target ≥ 70 %: $verdict)"$'\n'
done

queries_section=""
if [ -n "$queries_table" ]; then
  queries_section=$(cat <<EOF
Temporal queries, one client each (targets on PostgreSQL: S8 p50 < 20 ms, S9 < 1 s):

| scenario | store | requests | ops/s | entities/s | p50 | p99 | broker CPU ms/request | ratio to ceiling | peak memory |
|---|---|--:|--:|--:|--:|--:|--:|--:|--:|
$queries_table
EOF
)
fi

section=$(cat <<EOF
## Temporal API (benchmarks/temporal.sh)

- date: $(date -u '+%Y-%m-%d %H:%M UTC')
- command: \`$command\`
- commit: \`$commit\`
- machine: $(nproc) cores, load average before: $load_before; after: $(cut -d' ' -f1-3 /proc/loadavg)
- $duration s measured after $warmup s of warm-up per run, 32 connections

$queries_section

S6 (attribute PATCH, history recorded) and S10 (the same, \`--Temporal:Enabled false\`) in pairs run back to back,
each with a fresh broker (on PostgreSQL a database of its own). The CPU ratio is S10's broker CPU per PATCH divided by S6's.

| pair | store | S6 PATCH/s | S10 PATCH/s | S6 / S10 | S6 CPU ms/PATCH | S10 CPU ms/PATCH | CPU ratio |
|--:|---|--:|--:|--:|--:|--:|--:|
$rows
$summary
EOF
)

results=benchmarks/RESULTS.md
# Replace an earlier section of this script (up to the next section or the end), then append this one.
awk '/^## (History cost|Temporal API)/ { skip = 1; next } /^## / { skip = 0 } !skip' "$results" > "$results.tmp"
printf '%s\n\n%s\n' "$(sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' "$results.tmp")" "$section" > "$results"
rm -f "$results.tmp"
echo "$summary" >&2
