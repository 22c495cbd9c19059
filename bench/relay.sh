#!/usr/bin/env bash
# Fault relay overhead: round-trip latency at 1,000 concurrent connections, direct to an echo server vs through
# the relay (no fault) to the same echo server, in the same run (the machine is shared and noisy, so only same-run
# differences mean anything). Goal: < 1 ms added at p99.
# The echo server, the load generator and two relay daemons (default socket completions, and inline completions) are
# separate processes (bench/RelayBench). Every path keeps its 1,000 connections open for the whole run; the paths take
# turns carrying the load in short slots, rotating, so background load from other work hits them alike.
# Scheduling (FAULTLINE_BENCH_ISOLATE): "rr" runs the four processes under SCHED_RR priority 1 (chrt -r 1), so other work
# on a shared machine (builds, tests) cannot delay their wake-ups and the tail shows what the relay itself adds; they still
# share the cores with each other. The kernel's RT throttling keeps 5 % of each core for everything else, and the run is
# bounded. "none" runs them at normal priority. "auto" (default) is "rr" when chrt is permitted, else "none".
# Bounded: 3 x (FAULTLINE_BENCH_CYCLES + 1 warm-up) x FAULTLINE_BENCH_SLOT s plus connection setup, ~75 s by default.
# Writes bench/RESULTS-relay.md, keeping its "## History" section (earlier measurements) below the new figures.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
connections="${FAULTLINE_BENCH_CONNECTIONS:-1000}"
rate="${FAULTLINE_BENCH_RATE:-2}"
slot="${FAULTLINE_BENCH_SLOT:-2}"
cycles="${FAULTLINE_BENCH_CYCLES:-10}"
isolate="${FAULTLINE_BENCH_ISOLATE:-auto}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# 1,000 client sockets + 1,000 relay sockets per side: make sure the descriptor limit allows it.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

case "$isolate" in
  auto | rr)
    if chrt -r 1 true 2>/dev/null; then
      runner=(chrt -r 1)
      scheduling="SCHED_RR priority 1 (\`chrt -r 1\`) for the four benchmark processes, so other work on the machine does not delay their wake-ups; they share the cores with each other"
    elif [[ "$isolate" == rr ]]; then
      echo "bench: FAULTLINE_BENCH_ISOLATE=rr needs permission for chrt -r 1 (root or CAP_SYS_NICE)" >&2
      exit 2
    else
      runner=()
      scheduling="normal priority (chrt -r 1 not permitted here), sharing the cores with whatever else runs"
    fi
    ;;
  none)
    runner=()
    scheduling="normal priority, sharing the cores with whatever else runs"
    ;;
  *)
    echo "bench: FAULTLINE_BENCH_ISOLATE must be auto, rr or none" >&2
    exit 2
    ;;
esac

echo "bench: building bench/RelayBench (Release)..." >&2
dotnet build "$root/bench/RelayBench" -c Release -o "$work/bin" --nologo -v quiet >/dev/null

load=$(cut -d" " -f1-3 /proc/loadavg)
started=$(date -u +%Y-%m-%dT%H:%MZ)
cpu=$(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
mem=$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)
sdk=$(dotnet --version)
command="bash bench/relay.sh"
if [[ "$connections" != 1000 || "$rate" != 2 || "$slot" != 2 || "$cycles" != 10 ]]; then
  command="FAULTLINE_BENCH_CONNECTIONS=$connections FAULTLINE_BENCH_RATE=$rate FAULTLINE_BENCH_SLOT=$slot FAULTLINE_BENCH_CYCLES=$cycles $command"
fi
if [[ "$isolate" != auto ]]; then
  command="FAULTLINE_BENCH_ISOLATE=$isolate $command"
fi
results="$root/bench/RESULTS-relay.md"
history=""
if [[ -f "$results" ]] && grep -q '^## History' "$results"; then
  history="$(sed -n '/^## History/,$p' "$results")"
fi

set +e
timeout 300 "${runner[@]}" dotnet "$work/bin/RelayBench.dll" run --connections "$connections" --rate "$rate" --slot "$slot" --cycles "$cycles" >"$work/table.md"
status=$?
set -e
load_after=$(cut -d" " -f1-3 /proc/loadavg)
[[ $status -eq 0 ]] || { cat "$work/table.md"; echo "bench: RelayBench failed (exit $status)" >&2; exit "$status"; }

{
  echo "# Fault relay overhead"
  echo
  echo "- Date: $started"
  echo "- Machine: $(nproc) cores ($cpu), $mem, Linux $(uname -r), .NET SDK $sdk"
  echo "- Load average (1/5/15 min) at the start: $load; at the end: $load_after"
  echo "- Scheduling: $scheduling"
  echo "- Command: \`$command\` (bench/RelayBench, Release, four processes on 127.0.0.1: the echo server, the load generator, and the relay daemon \`RelayDaemon.RunAsync\` with no fault twice, once with .NET's default socket completions and once with \`RelayDaemon.ProcessEnvironment\` (\`DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1\`))"
  echo
  cat "$work/table.md"
  echo
  echo "Added latency is the relay's percentile minus the direct path's percentile over the same run; each relayed round"
  echo "trip crosses the relay twice (request and echo), so the figure is the cost of two relay hops. The per-cycle figures"
  echo "compare slots a few seconds apart and show the spread within the run. Relay CPU is the relay process's user + system"
  echo "time over the recorded cycles divided by the round trips of its slots. A negative difference is noise, not a speed-up."
  if [[ -n "$history" ]]; then
    echo
    echo "$history"
  fi
} >"$work/results.md"
cp "$work/results.md" "$results"
cat "$results"
