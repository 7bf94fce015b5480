#!/usr/bin/env bash
# Measures the adapters' throughput into the embedded broker (issue 12) and writes the "Adapters" section of
# benchmarks/RESULTS.md (run.sh keeps that section when it rewrites the rest). Not part of ./test.sh.
#
#   benchmarks/adapters.sh                          32 connections, 3 s warm-up + 15 s of uplinks; 30 000 LIDO records
#   benchmarks/adapters.sh --seconds 5 --lido-records 5000
#                                                   shorter (options: --connections --devices --warmup --seconds --lido-records)
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
command="benchmarks/adapters.sh${*:+ $*}"
dotnet build benchmarks/Adapters -c Release -warnaserror --nologo -v quiet
commit=$(git rev-parse --short HEAD)
git diff --quiet HEAD -- . ':!benchmarks/RESULTS.md' || commit="$commit + uncommitted changes"
dotnet benchmarks/Adapters/bin/Release/net10.0/Adapters.Bench.dll "$@" --results benchmarks/RESULTS.md --command "$command" --commit "$commit"
