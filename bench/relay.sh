#!/usr/bin/env bash
# Fault relay overhead: round-trip latency at 1,000 concurrent connections, direct to an echo server vs through
# the relay (no fault) to the same echo server, alternating phases in the same run (the machine is shared and
# noisy, so only same-run differences mean anything). Goal: < 1 ms added at p99.
# The echo server, the load generator and two relay daemons (default socket completions, and inline completions) are separate processes (bench/RelayBench).
# Bounded: about 2 x 3 x (2 s warm-up + FAULTLINE_BENCH_PHASE s) plus connection setup, ~90 s by default.
# Writes bench/RESULTS-relay.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
connections="${FAULTLINE_BENCH_CONNECTIONS:-1000}"
rate="${FAULTLINE_BENCH_RATE:-2}"
phase="${FAULTLINE_BENCH_PHASE:-10}"
rounds="${FAULTLINE_BENCH_ROUNDS:-2}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# 1,000 client sockets + 1,000 relay sockets per side: make sure the descriptor limit allows it.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

echo "bench: building bench/RelayBench (Release)..." >&2
dotnet build "$root/bench/RelayBench" -c Release -o "$work/bin" --nologo -v quiet >/dev/null

load=$(cut -d" " -f1-3 /proc/loadavg)
started=$(date -u +%Y-%m-%dT%H:%MZ)
cpu=$(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
mem=$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)
sdk=$(dotnet --version)
command="bash bench/relay.sh"
if [[ "$connections" != 1000 || "$rate" != 2 || "$phase" != 10 || "$rounds" != 2 ]]; then
  command="FAULTLINE_BENCH_CONNECTIONS=$connections FAULTLINE_BENCH_RATE=$rate FAULTLINE_BENCH_PHASE=$phase FAULTLINE_BENCH_ROUNDS=$rounds $command"
fi

set +e
timeout 200 dotnet "$work/bin/RelayBench.dll" run --connections "$connections" --rate "$rate" --phase "$phase" --rounds "$rounds" >"$work/table.md"
status=$?
set -e
load_after=$(cut -d" " -f1-3 /proc/loadavg)
[[ $status -eq 0 ]] || { cat "$work/table.md"; echo "bench: RelayBench failed (exit $status)" >&2; exit "$status"; }

{
  echo "# Fault relay overhead"
  echo
  echo "- Date: $started"
  echo "- Machine: $(nproc) cores ($cpu), $mem, Linux $(uname -r), .NET SDK $sdk"
  echo "- Load average (1/5/15 min) at the start: $load; at the end: $load_after (the load generator, the relay and the echo server share these cores with whatever else runs)"
  echo "- Command: \`$command\` (bench/RelayBench, Release, four processes on 127.0.0.1: the echo server, the load generator, and the relay daemon \`RelayDaemon.RunAsync\` with no fault twice, once with default socket completions and once with \`DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1\`)"
  echo
  cat "$work/table.md"
  echo
  echo "Added latency is the relay's percentile minus the direct path's percentile from the same run; each relayed round"
  echo "trip crosses the relay twice (request and echo), so the figure is the cost of two relay hops. The machine is shared:"
  echo "the direct path's own tail (p99.9, max) is many times the goal, so differences in the tail vary from run to run by"
  echo "more than 1 ms, and a negative difference there is noise, not a speed-up."
} >"$root/bench/RESULTS-relay.md"
cat "$root/bench/RESULTS-relay.md"
