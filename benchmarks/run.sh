#!/usr/bin/env bash
# Runs the benchmark suite and rewrites benchmarks/RESULTS.md. Not part of ./test.sh.
#
#   benchmarks/run.sh                      load scenarios (3 s warm-up + 15 s each) and micro benchmarks: about 10 minutes
#   benchmarks/run.sh --quick              load scenarios, 1 s warm-up + 3 s each, no micro benchmarks: about 2 minutes
#   benchmarks/run.sh --scenarios C1,S3,S4 only these load scenarios (ids: C1-C4 ceilings, S1-S15 broker)
#   benchmarks/run.sh --micro / --no-micro with or without the BenchmarkDotNet micro benchmarks
#   benchmarks/run.sh --store postgres --connection 'Host=127.0.0.1;Username=...;Password=...;Database=...'
#                                          the broker on its PostgreSQL store, plus the raw Npgsql ceilings C2 and C3
#   scripts/with-postgres.sh benchmarks/run.sh --store both
#                                          both stores in one run, in a throwaway PostgreSQL cluster
# Any other option goes to the load tool (see `dotnet benchmarks/Load/bin/Release/net10.0/Load.dll --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# The command as it can be pasted again, with any password in a connection string masked.
quote() {
  case "$1" in
    *[!A-Za-z0-9_./:,=@%+-]*) printf "'%s'" "${1//\'/\'\\\'\'}" ;;
    *) printf '%s' "$1" ;;
  esac
}
command="benchmarks/run.sh"
for argument in "$@"; do command+=" $(quote "$argument")"; done
command=$(sed -E 's/(Password|Pwd)=[^;'"'"']*/\1=***/Ig' <<<"$command")
micro=yes
load_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) micro=${micro_set:-no}; load_args+=("$1") ;;
    --micro) micro=yes; micro_set=yes ;;
    --no-micro) micro=no; micro_set=no ;;
    *) load_args+=("$1") ;;
  esac
  shift
done

# Inside scripts/with-postgres.sh (pg_virtualenv exports PG*), the PostgreSQL connection comes from the environment:
#   scripts/with-postgres.sh benchmarks/run.sh --store both
# A server on this machine is reached without TLS (a deployment choice for loopback traffic, which never leaves the
# host): encrypting it cost the broker about 15 % of its CPU per S6 PATCH. Remote servers keep Npgsql's default.
if [ -n "${PGHOST:-}" ] && [[ " ${load_args[*]} " != *" --connection "* ]]; then
  ssl=""
  case "$PGHOST" in localhost|127.0.0.1|::1|/*) ssl=";SSL Mode=Disable" ;; esac
  load_args+=(--connection "Host=${PGHOST};Port=${PGPORT:-5432};Username=${PGUSER:-postgres};Password=${PGPASSWORD:-};Database=${PGDATABASE:-postgres}${ssl}")
fi

projects=(src/Broker samples/MeinLuebeck benchmarks/Load benchmarks/Ceiling)
[ "$micro" = yes ] && projects+=(benchmarks/Micro)
for project in "${projects[@]}"; do
  dotnet build "$project" -c Release -warnaserror --nologo -v quiet
done

commit=$(git rev-parse --short HEAD)
git diff --quiet HEAD -- . ':!benchmarks/RESULTS.md' || commit="$commit + uncommitted changes"
results=benchmarks/RESULTS.md

# The sections other scripts write (adapters.sh, temporal.sh, federation.sh) are kept, at the end, when the rest is rewritten.
kept_sections=$(awk '/^## / { keep = /^## (Adapters|Temporal API|Federation)/ } keep' "$results" 2>/dev/null || true)

status=0
dotnet benchmarks/Load/bin/Release/net10.0/Load.dll "${load_args[@]}" \
  --results "$results" --command "$command" --commit "$commit" || status=$?

if [ "$micro" = yes ]; then
  artifacts=$(mktemp -d)
  # In-process and the short job (3 warm-up + 3 measured iterations): a few seconds per benchmark.
  dotnet benchmarks/Micro/bin/Release/net10.0/Micro.dll --filter '*' --job short --inProcess --artifacts "$artifacts" || status=$?
  {
    echo
    echo "## Micro benchmarks (benchmarks/Micro, BenchmarkDotNet short job, in-process)"
    for report in "$artifacts"/results/*-report-github.md; do
      echo
      sed -n '/^|/,$p' "$report" | sed "s/&#39;/'/g"
    done
  } >>"$results"
  rm -rf "$artifacts"
else
  printf '\n## Micro benchmarks\n\nNot run (`--quick` without `--micro`, or `--no-micro`).\n' >>"$results"
fi
[ -z "$kept_sections" ] || printf '\n%s\n' "$kept_sections" >>"$results"
exit $status
