#!/usr/bin/env bash
# Macro benchmarks for `faultline check`, each against a peer in the same run (ratios, since the
# machine is noisy):
#   1. 50 targets behind 200 ms endpoints vs 1 such target (goal: wall-time ratio <= 1.5)
#   2. cold `faultline check` of one loopback target vs `curl` of the same URL
# Needs: hyperfine, curl (apt-get install hyperfine curl). Writes bench/RESULTS.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
port="${FAULTLINE_BENCH_PORT:-58090}"
runs="${FAULTLINE_BENCH_RUNS:-15}"
work="$(mktemp -d)"
trap 'kill "${server_pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

for tool in hyperfine curl; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing; apt-get install $tool" >&2; exit 2; }
done

load=$(cut -d" " -f1-3 /proc/loadavg)
echo "bench: building the CLI and the delay server..." >&2
"$root/faultline" --help >/dev/null
dotnet build "$root/bench/DelayServer" -c Release -o "$work/server" --nologo -v quiet >/dev/null
dotnet "$work/server/DelayServer.dll" --urls "http://127.0.0.1:$port" &
server_pid=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/fast" >/dev/null && break; sleep 0.1; done

{
  echo "defaults: { timeout: 5s }"
  echo "targets:"
  echo "  - { name: t0, kind: http, url: \"http://127.0.0.1:$port/delay/200\", conditions: [\"[STATUS] == 200\"] }"
} >"$work/one.yaml"
{
  echo "defaults: { timeout: 5s }"
  echo "targets:"
  for i in $(seq 0 49); do
    echo "  - { name: t$i, kind: http, url: \"http://127.0.0.1:$port/delay/200?n=$i\", conditions: [\"[STATUS] == 200\"] }"
  done
} >"$work/fifty.yaml"
{
  echo "targets:"
  echo "  - { name: fast, kind: http, url: \"http://127.0.0.1:$port/fast\", conditions: [\"[STATUS] == 200\"] }"
} >"$work/fast.yaml"

cli="dotnet $root/.faultline/cli/faultline.dll"
hyperfine --warmup 2 --runs "$runs" --style basic --export-json "$work/fanout.json" \
  -n "1 target (200 ms)" "$cli check --config $work/one.yaml --format json" \
  -n "50 targets (200 ms each)" "$cli check --config $work/fifty.yaml --format json" >&2
hyperfine --warmup 2 --runs "$runs" --style basic --export-json "$work/cold.json" \
  -n "curl" "curl -fs -o /dev/null http://127.0.0.1:$port/fast" \
  -n "faultline check (1 target)" "$cli check --config $work/fast.yaml --format json" >&2

mean() { grep -o '"mean": *[0-9.e-]*' "$1" | sed -n "${2}p" | sed 's/.*: *//'; }
stddev() { grep -o '"stddev": *[0-9.e-]*' "$1" | sed -n "${2}p" | sed 's/.*: *//'; }
one=$(mean "$work/fanout.json" 1); fifty=$(mean "$work/fanout.json" 2)
curl_t=$(mean "$work/cold.json" 1); fl_t=$(mean "$work/cold.json" 2)
ms() { awk -v x="$1" 'BEGIN { printf "%.1f", x * 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
out="$root/bench/RESULTS.md"
cat >"$out" <<MD
# Faultline macro benchmarks

- Date: $(date -u +%Y-%m-%dT%H:%MZ)
- Machine: $(nproc) cores ($cpu), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr), .NET SDK $(dotnet --version)
- Load average at the start (1/5/15 min): $load (other builds may share the machine; compare ratios, not absolute times)
- Command: \`bash bench/macro.sh\` (hyperfine, $runs runs after 2 warm-ups; server: bench/DelayServer on 127.0.0.1)

| comparison | A (mean ± sd) | B (mean ± sd) | ratio B/A | goal |
|---|---|---|---|---|
| 1 target vs 50 targets, each endpoint answers after 200 ms | $(ms "$one") ± $(ms "$(stddev "$work/fanout.json" 1)") ms | $(ms "$fifty") ± $(ms "$(stddev "$work/fanout.json" 2)") ms | $(ratio "$fifty" "$one") | ≤ 1.5 |
| curl vs cold \`faultline check\` of the same loopback URL | $(ms "$curl_t") ± $(ms "$(stddev "$work/cold.json" 1)") ms | $(ms "$fl_t") ± $(ms "$(stddev "$work/cold.json" 2)") ms | $(ratio "$fl_t" "$curl_t") | (reported) |

Cold \`faultline check\` includes starting the .NET runtime (\`dotnet faultline.dll\`), loading the
config and writing the JSON report; curl is a native binary doing one request. The fan-out row shows
that targets run concurrently: 50 targets cost little more than one.
MD
cat "$out"
