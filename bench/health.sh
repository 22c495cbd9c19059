#!/usr/bin/env bash
# Macro benchmarks for Faultline.AspNetCore, each against a peer in the same run (ratios: the machine is noisy):
#   1. wrk on /health/infrastructure (served from the background snapshot) vs /trivial (a constant) in the same app
#      (goal: ratio >= 0.7), and vs /per-request (ASP.NET Core MapHealthChecks over the same two Faultline probes,
#      evaluated on every request).
#   2. the startup plan: seven no-op phases, and two independent 200 ms phases (goal: ~200 ms, not 400) next to the
#      same two phases in series — plan time read from /health/startup; time from process start to /health/ready.
# Needs: wrk, curl, jq, python3 (apt-get install wrk curl jq python3) and the local services (scripts/services.sh up).
# Writes bench/RESULTS-aspnetcore.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
port="${FAULTLINE_BENCH_PORT:-58095}"
duration="${FAULTLINE_BENCH_DURATION:-10s}"
runs="${FAULTLINE_BENCH_RUNS:-10}"
work="$(mktemp -d)"
app_pid=""
stop_app() { if [[ -n "$app_pid" ]]; then kill "$app_pid" 2>/dev/null || true; wait "$app_pid" 2>/dev/null || true; app_pid=""; fi; }
trap 'stop_app; rm -rf "$work"' EXIT

for tool in wrk curl jq python3; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing; apt-get install $tool" >&2; exit 2; }
done
"$root/scripts/services.sh" status >/dev/null 2>&1 || { echo "bench: local services are not running; run scripts/services.sh up" >&2; exit 2; }
# shellcheck disable=SC1090
set -a; source "$("$root/scripts/services.sh" env)"; set +a

load=$(cut -d" " -f1-3 /proc/loadavg)
echo "bench: building bench/HealthBench (Release)..." >&2
dotnet build "$root/bench/HealthBench" -c Release -o "$work/app" --nologo -v quiet >/dev/null

start_app() { # mode, environment, extra args...
  local mode="$1" environment="$2"; shift 2
  ASPNETCORE_ENVIRONMENT="$environment" ASPNETCORE_URLS="http://127.0.0.1:$port" \
  ConnectionStrings__Postgres="$DATABASE_URL" ConnectionStrings__Redis="$REDIS_URL" \
  Faultline__ApiKey="bench-api-key-0123456789" Faultline__Health__Interval="00:00:05" \
    dotnet "$work/app/HealthBench.dll" "$mode" "$@" >"$work/app.log" 2>&1 &
  app_pid=$!
}
wait_ready() {
  for _ in $(seq 1 3000); do
    [[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/health/ready")" == 200 ]] && return 0
    kill -0 "$app_pid" 2>/dev/null || { echo "bench: the app exited:" >&2; cat "$work/app.log" >&2; exit 1; }
    sleep 0.01
  done
  echo "bench: the app did not become ready" >&2; exit 1
}
now_ms() { date +%s%3N; }

# --- 1. throughput -------------------------------------------------------------------------------
start_app serve Production
wait_ready
curl -fs "http://127.0.0.1:$port/health/infrastructure" -H "X-Api-Key: bench-api-key-0123456789" | jq -c '{status, components: (.components | keys)}' >&2
rps() { # url [header]
  if [[ $# -gt 1 ]]; then wrk -t2 -c32 -d"$duration" -H "$2" "$1"; else wrk -t2 -c32 -d"$duration" "$1"; fi \
    | tee -a "$work/wrk.log" | awk '/Requests\/sec/ {print $2}'
}
declare -A sum=()
for round in 1 2; do
  for name in trivial infrastructure per-request; do
    case "$name" in
      trivial) r=$(rps "http://127.0.0.1:$port/trivial") ;;
      infrastructure) r=$(rps "http://127.0.0.1:$port/health/infrastructure" "X-Api-Key: bench-api-key-0123456789") ;;
      per-request) r=$(rps "http://127.0.0.1:$port/per-request") ;;
    esac
    echo "bench: round $round $name $r req/s" >&2
    sum[$name]=$(awk -v a="${sum[$name]:-0}" -v b="$r" 'BEGIN { print a + b }')
  done
done
stop_app
avg() { awk -v s="${sum[$1]}" 'BEGIN { printf "%.0f", s / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
trivial=$(avg trivial); infra=$(avg infrastructure); perreq=$(avg per-request)

# --- 2. startup plan -----------------------------------------------------------------------------
# span of the phases after the first one to start (the warm-up, or noop7's first phase): from the earliest
# start to the latest end among them, in ms, from the timeline's ISO timestamps.
span_after_first() {
  python3 -c '
import json, sys
from datetime import datetime
phases = sorted(json.load(sys.stdin).get("phases", []), key=lambda p: p["startedAt"])[1:]
if not phases:
    print(0); sys.exit()
t = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))
print(round((max(t(p["endedAt"]) for p in phases) - min(t(p["startedAt"]) for p in phases)).total_seconds() * 1000, 1))'
}
declare -A plan_ms=() ready_ms=() warm_ms=()
for plan in none noop7 parallel serial; do
  plans=(); readies=(); warms=()
  for _ in $(seq 1 "$runs"); do
    t0=$(now_ms)
    start_app plan Development --plan "$plan"
    wait_ready
    t1=$(now_ms)
    curl -fs "http://127.0.0.1:$port/health/startup" >"$work/startup.json"
    plans+=("$(jq -r '.durationMs // 0' "$work/startup.json")")
    warms+=("$(span_after_first <"$work/startup.json")")
    readies+=("$((t1 - t0))")
    stop_app
  done
  plan_ms[$plan]=$(printf '%s\n' "${plans[@]}" | sort -n | awk '{ a[NR] = $1 } END { printf "%.1f", a[int((NR + 1) / 2)] }')
  ready_ms[$plan]=$(printf '%s\n' "${readies[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
  warm_ms[$plan]=$(printf '%s\n' "${warms[@]}" | sort -n | awk '{ a[NR] = $1 } END { printf "%.1f", a[int((NR + 1) / 2)] }')
  echo "bench: plan $plan: plan ${plan_ms[$plan]} ms, after the first phase ${warm_ms[$plan]} ms, process start to ready ${ready_ms[$plan]} ms (medians of $runs)" >&2
done

cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
out="$root/bench/RESULTS-aspnetcore.md"
# bench/pipeline.sh writes its own section of the same file: keep it.
pipeline_section=""
if [[ -f "$out" ]]; then
  pipeline_section="$(awk '/^## Request-path pipeline overhead$/ { keep = 1; print; next } keep && /^## / { keep = 0 } keep' "$out")"
fi
cat >"$out" <<MD
# Faultline.AspNetCore macro benchmarks

- Date: $(date -u +%Y-%m-%dT%H:%MZ)
- Machine: $(nproc) cores ($cpu), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr), .NET SDK $(dotnet --version)
- Load average at the start (1/5/15 min): $load (wrk and the app share these cores; compare ratios, not absolute figures)
- Command: \`bash bench/health.sh\` (app: bench/HealthBench, Release, Production environment; dependencies: the
  local PostgreSQL 15 and Redis of scripts/services.sh)

## Health endpoint throughput (wrk -t2 -c32 -d$duration, mean of two rounds)

| endpoint | what it does per request | req/s | ratio to /trivial |
|---|---|---|---|
| \`/trivial\` | returns a constant | $trivial | 1.00 |
| \`/health/infrastructure\` (with API key, full detail) | writes the latest background snapshot (serialized once per snapshot) | $infra | $(ratio "$infra" "$trivial") (goal ≥ 0.7) |
| \`/per-request\` (ASP.NET Core \`MapHealthChecks\`, same two probes) | opens a PostgreSQL session and a Redis connection | $perreq | $(ratio "$perreq" "$trivial") |

Snapshot vs per-request evaluation of the same checks: $(ratio "$infra" "$perreq")× the throughput, and the
snapshot endpoint adds no dependency load at all (proven by a test, not by this benchmark).

## Startup plan (medians of $runs process starts each)

| plan | whole plan (cold: the first phase pays for JIT) | phases after the first (warm) | process start to /health/ready 200 |
|---|---|---|---|
| none | ${plan_ms[none]} ms | – | ${ready_ms[none]} ms |
| seven no-op phases in a chain | ${plan_ms[noop7]} ms | ${warm_ms[noop7]} ms (six phases) | ${ready_ms[noop7]} ms |
| warm-up, then two independent 200 ms phases | ${plan_ms[parallel]} ms | ${warm_ms[parallel]} ms | ${ready_ms[parallel]} ms |
| warm-up, then the same two phases in series | ${plan_ms[serial]} ms | ${warm_ms[serial]} ms | ${ready_ms[serial]} ms |

Independent phases run concurrently: two independent 200 ms phases take ${warm_ms[parallel]} ms, the same two in
series ${warm_ms[serial]} ms (ratio $(ratio "${warm_ms[parallel]}" "${warm_ms[serial]}"); 0.5 is perfect overlap). The
no-op plan's cost is its first phase's one-off compilation; process start to ready is polled every 10 ms with curl, so
it is coarse to ~15 ms — compare the none and seven-phase rows.
MD
if [[ -n "$pipeline_section" ]]; then
  printf '\n%s\n' "$pipeline_section" >>"$out"
fi
cat "$out"
