#!/usr/bin/env bash
# The federation's figures into the "Federation" section of benchmarks/RESULTS.md (run.sh keeps it when it rewrites the
# rest): S11, GET /entities?type=Sensor&limit=L on broker A, which forwards it to broker B (the only one holding the
# entities, registered on A as an inclusive context source), and S12, the same query on B itself, with one client, in
# pairs run back to back (on a shared machine single runs vary by more than the difference), each run after C1 (bare
# Kestrel, one connection), whose p50 is the round trip. Target: S11's p50 ≤ 2 × S12's p50 + one round trip.
# Embedded store only. Not part of ./test.sh.
#
#   benchmarks/federation.sh                     3 pairs, 1 000 entities on B, limit=20, 2 s warm-up + 8 s each
#   options: --pairs N, --duration S, --warmup S, --entities N, --limit N
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
command="benchmarks/federation.sh${*:+ $*}"
pairs=3 duration=8 warmup=2 entities=1000 limit=20
while [ $# -gt 0 ]; do
  case "$1" in
    --pairs) pairs=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --entities) entities=$2; shift 2 ;;
    --limit) limit=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

for project in src/Broker benchmarks/Load benchmarks/Ceiling; do
  dotnet build "$project" -c Release -warnaserror --nologo -v quiet
done
commit=$(git rev-parse --short HEAD)
git diff --quiet HEAD -- . ':!benchmarks/RESULTS.md' || commit="$commit + uncommitted changes"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# Milliseconds from the load tool's "0.36 ms" / "25 ms".
ms() { sed 's/ ms//' <<<"$1"; }

rows="" total11=0 total12=0 total_rtt=0
for pair in $(seq 1 "$pairs"); do
  output=$(dotnet benchmarks/Load/bin/Release/net10.0/Load.dll --scenarios C1,S11,S12 --connections 1 \
    --duration "$duration" --warmup "$warmup" --federated-entities "$entities" --federated-limit "$limit" 2>/dev/null)
  # C1's row of the main table (p50 is column 6); S11 and S12 from the table of the two brokers' CPU.
  rtt=$(awk -F'|' '$2 ~ /^ C1 / { gsub(/^ +| +$/, "", $7); print $7 }' <<<"$output")
  read -r p50_11 p99_11 a11 b11 < <(awk -F'|' '$2 == " S11 " { print $5 "|" $6 "|" $7 "|" $8 }' <<<"$output" | tr -d ' ' | tr '|' ' ' | sed 's/ms//g')
  read -r p50_12 p99_12 a12 b12 < <(awk -F'|' '$2 == " S12 " { print $5 "|" $6 "|" $7 "|" $8 }' <<<"$output" | tr -d ' ' | tr '|' ' ' | sed 's/ms//g')
  if [ -z "$rtt" ] || [ -z "${p50_11:-}" ] || [ -z "${p50_12:-}" ]; then
    echo "pair $pair gave no result:" >&2
    echo "$output" >&2
    exit 1
  fi
  rtt=$(ms "$rtt")
  bound=$(awk -v s="$p50_12" -v r="$rtt" 'BEGIN { printf "%.2f", 2 * s + r }')
  met=$(awk -v f="$p50_11" -v b="$bound" 'BEGIN { print (f <= b ? "yes" : "no") }')
  ratio=$(awk -v f="$p50_11" -v s="$p50_12" 'BEGIN { printf "%.1f", f / s }')
  cpu_ratio=$(awk -v a="$a11" -v b="$b11" -v s="$b12" 'BEGIN { printf "%.1f", (a + b) / s }')
  rows+="| $pair | $rtt | $p50_11 / $p99_11 | $p50_12 / $p99_12 | $ratio × | $bound | $met | $a11 + $b11 | $a12 + $b12 | $cpu_ratio × |"$'\n'
  echo "pair $pair: S11 p50 $p50_11 ms (A $a11 + B $b11 ms CPU), S12 p50 $p50_12 ms (B $b12 ms CPU), round trip $rtt ms: target $met" >&2
  total11=$(awk -v t="$total11" -v v="$p50_11" 'BEGIN { print t + v }')
  total12=$(awk -v t="$total12" -v v="$p50_12" 'BEGIN { print t + v }')
  total_rtt=$(awk -v t="$total_rtt" -v v="$rtt" 'BEGIN { print t + v }')
done
summary=$(awk -v f="$total11" -v s="$total12" -v r="$total_rtt" -v n="$pairs" 'BEGIN {
  f /= n; s /= n; r /= n; bound = 2 * s + r
  printf "mean of the pairs: S11 p50 %.2f ms against 2 × %.2f ms + %.2f ms = %.2f ms (%.1f × S12): target %s", f, s, r, bound, f / s, (f <= bound ? "met" : "not met")
}')

section=$(cat <<EOF
## Federation (benchmarks/federation.sh)

- date: $(date -u '+%Y-%m-%d %H:%M UTC')
- command: \`$command\`
- commit: \`$commit\`
- machine: $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), load average before: $load_before; after: $(cut -d' ' -f1-3 /proc/loadavg)
- two brokers on the embedded store, each with its own data folder, on 127.0.0.1 beside the load tool; $entities Sensors on B
  only, registered on A (inclusive, type Sensor); \`GET /entities?type=Sensor&limit=$limit\` with one client, $duration s
  measured after $warmup s of warm-up per run; a pair is C1, S11 and S12 run back to back, each with fresh brokers

S11 asks A (which forwards to B and merges), S12 asks B directly. Round trip: C1's p50 (bare Kestrel, one connection).
Target: S11's p50 ≤ 2 × S12's p50 + one round trip. CPU: milliseconds of each broker process per request (A + B).

| pair | round trip ms | S11 p50 / p99 ms | S12 p50 / p99 ms | S11 / S12 | target ms | met | S11 CPU ms: A + B | S12 CPU ms: A + B | CPU S11 / S12 |
|--:|--:|--:|--:|--:|--:|---|--:|--:|--:|
$rows
- $summary
EOF
)

results=benchmarks/RESULTS.md
# Replace an earlier section of this script (up to the next section or the end), then append this one.
awk '/^## Federation/ { skip = 1; next } /^## / { skip = 0 } !skip' "$results" > "$results.tmp"
printf '%s\n\n%s\n' "$(sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' "$results.tmp")" "$section" > "$results"
rm -f "$results.tmp"
echo "$summary" >&2
