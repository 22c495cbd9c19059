#!/usr/bin/env bash
# History store storage benchmark (not in CI): a simulated year of 1-minute results for 100 targets
# (52.6 M results) written through the real SQLite store code, retention applied every simulated hour
# (raw kept 14 days, hourly rollups kept for the year); then the year's rollup query for one target,
# 100 times (p50/p99). Time is simulated (timestamps of 2025), the wall clock only measures the store.
# Bounded by FAULTLINE_BENCH_MAX_MINUTES (default 20): when the year does not finish in that time the
# bench stops at the end of a simulated day and reports how far it got (extrapolate from the per-30-day rows).
# Usage: bench/store.sh [extra StoreBench options, e.g. --days 30 --targets 100 --batch-minutes 1]
# Prints the command, the machine (CPUs, load, disk) and the figures; CPU time from /usr/bin/time when present.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
max_minutes="${FAULTLINE_BENCH_MAX_MINUTES:-20}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

dotnet build -c Release "$root/bench/StoreBench" -v q -nologo >/dev/null
cmd=(dotnet "$root/bench/StoreBench/bin/Release/net10.0/StoreBench.dll" --store "sqlite:$work/history.db" --max-minutes "$max_minutes" "$@")
echo "# date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "# command: bench/store.sh $*  ->  ${cmd[*]}"
echo "# machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# disk: $(df -h "$work" | awk 'NR==2 {print $1, $2, "size"}')"
if [ -x /usr/bin/time ]; then
  /usr/bin/time -f "# process: cpu user %U s, sys %S s, wall %e s, max RSS %M KB" "${cmd[@]}"
else
  "${cmd[@]}"
fi
echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
