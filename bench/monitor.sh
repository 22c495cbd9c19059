#!/usr/bin/env bash
# Monitor benchmark (not part of CI): 1,000 HTTP targets at a 5 s interval against a local nginx for
# 2 minutes, measured on `faultline monitor`: schedule lag p50/p99/max (goal p99 < 100 ms), CPU, peak
# RSS (goal < 150 MB); then, in the same run, a bare .NET probe loop (bench/MonitorBench `bare`: the same URLs at
# the same rate, a new connection per probe with the settings of Faultline's http probe, nothing else) as the
# floor of what probing costs in .NET, and prometheus-blackbox-exporter probing the same URLs at the same rate
# (driven like a Prometheus scrape loop), for CPU per probe of each (goal: faultline / blackbox_exporter <= 0.5).
#   bench/monitor.sh            (FAULTLINE_BENCH_TARGETS=1000 FAULTLINE_BENCH_SECONDS=120 to change)
# Needs: nginx, prometheus-blackbox-exporter (apt-get install nginx prometheus-blackbox-exporter).
# Writes bench/RESULTS-monitor.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
targets="${FAULTLINE_BENCH_TARGETS:-1000}"
seconds="${FAULTLINE_BENCH_SECONDS:-120}"
warmup=10
interval=5
nginx_port="${FAULTLINE_BENCH_NGINX_PORT:-58290}"  # off the lab's 58180–58199 (docs/lab.md)
bbx_port="${FAULTLINE_BENCH_BLACKBOX_PORT:-58291}"
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

for tool in nginx prometheus-blackbox-exporter curl; do
  command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || { echo "bench: $tool is missing; apt-get install ${tool/curl/curl}" >&2; exit 2; }
done
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
hz=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
peak_rss_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

echo "bench: building the CLI and the driver..." >&2
"$root/faultline" --help >/dev/null
dotnet build "$root/bench/MonitorBench" -c Release -o "$work/driver" --nologo -v quiet >/dev/null

mkdir -p "$work/nginx/logs" "$work/nginx/temp"
cat >"$work/nginx/nginx.conf" <<NGINX
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/nginx/temp/body;
  proxy_temp_path $work/nginx/temp/proxy;
  fastcgi_temp_path $work/nginx/temp/fastcgi;
  uwsgi_temp_path $work/nginx/temp/uwsgi;
  scgi_temp_path $work/nginx/temp/scgi;
  server {
    listen 127.0.0.1:$nginx_port;
    location / { default_type text/plain; return 200 "ok\n"; }
  }
}
NGINX
"$nginx_bin" -c "$work/nginx/nginx.conf" -p "$work/nginx" -e "$work/nginx/logs/error.log"
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$nginx_port/t/0" >/dev/null && break; sleep 0.1; done

: >"$work/urls"
{
  echo "defaults: { timeout: 4s, concurrency: 256 }"
  echo "targets:"
  for i in $(seq 1 "$targets"); do
    url="http://127.0.0.1:$nginx_port/t/$i"
    echo "$url" >>"$work/urls"
    echo "  - { name: t$i, kind: http, url: \"$url\", interval: ${interval}s, conditions: [\"[STATUS] == 200\"] }"
  done
} >"$work/monitor.yaml"

load_before=$(cut -d" " -f1-3 /proc/loadavg)
echo "bench: faultline monitor, $targets targets every ${interval}s for ${seconds}s (+${warmup}s warm-up)..." >&2
dotnet "$root/.faultline/cli/faultline.dll" monitor --config "$work/monitor.yaml" --format json --store "sqlite:$work/history.db" >"$work/events.jsonl" 2>"$work/monitor.err" &
mon=$!; pids+=("$mon")
sleep "$warmup"
c0=$(cpu_ticks "$mon"); rss_samples=()
for _ in $(seq 1 "$seconds"); do sleep 1; rss_samples+=("$(rss_kb "$mon")"); done
c1=$(cpu_ticks "$mon"); peak=$(peak_rss_kb "$mon")
kill -TERM "$mon"; wait "$mon" || true
mon_cpu=$(awk -v a="$c0" -v b="$c1" -v hz="$hz" 'BEGIN { printf "%.2f", (b - a) / hz }')
rss_avg=$(printf '%s\n' "${rss_samples[@]}" | awk '{ s += $1 } END { printf "%.0f", s / NR / 1024 }')
lag=$(dotnet "$work/driver/MonitorBench.dll" lag "$work/events.jsonl" "$warmup")
mon_results=$(sed 's/.*results=\([0-9]*\).*/\1/' <<<"$lag")
# Results whose due time fell inside the measured window (lag skips the warm-up; the tail after the
# window is cut by the stop), so CPU per probe is CPU of the window / probes due in the window.
echo "bench: bare .NET probe loop, the same $targets URLs every ${interval}s for ${seconds}s (+${warmup}s warm-up)..." >&2
dotnet "$work/driver/MonitorBench.dll" bare "$work/urls" "$interval" "$warmup" "$seconds" >"$work/bare.out" &
bare=$!; pids+=("$bare")
sleep "$warmup"
n0=$(cpu_ticks "$bare")
sleep "$seconds"
n1=$(cpu_ticks "$bare"); bare_peak=$(peak_rss_kb "$bare")
wait "$bare"
bare_cpu=$(awk -v a="$n0" -v b="$n1" -v hz="$hz" 'BEGIN { printf "%.2f", (b - a) / hz }')
bare_out=$(cat "$work/bare.out")
bare_probes=$(sed 's/.*probes=\([0-9]*\).*/\1/' <<<"$bare_out")
echo "bench: blackbox_exporter, the same $targets URLs every ${interval}s for ${seconds}s..." >&2
cat >"$work/blackbox.yml" <<YAML
modules:
  http_2xx:
    prober: http
    timeout: 4s
    http:
      preferred_ip_protocol: ip4
YAML
prometheus-blackbox-exporter --config.file="$work/blackbox.yml" --web.listen-address="127.0.0.1:$bbx_port" --log.level=warn 2>"$work/blackbox.err" &
bbx=$!; pids+=("$bbx")
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$bbx_port/metrics" >/dev/null && break; sleep 0.1; done
b0=$(cpu_ticks "$bbx")
scrape=$(dotnet "$work/driver/MonitorBench.dll" scrape "http://127.0.0.1:$bbx_port/probe?module=http_2xx&target={target}" "$work/urls" "$interval" "$seconds")
b1=$(cpu_ticks "$bbx"); bbx_peak=$(peak_rss_kb "$bbx")
kill "$bbx"; wait "$bbx" 2>/dev/null || true
bbx_cpu=$(awk -v a="$b0" -v b="$b1" -v hz="$hz" 'BEGIN { printf "%.2f", (b - a) / hz }')
bbx_probes=$(sed 's/.*probes=\([0-9]*\).*/\1/' <<<"$scrape")
load_after=$(cut -d" " -f1-3 /proc/loadavg)

per_probe() { awk -v c="$1" -v n="$2" 'BEGIN { if (n > 0) printf "%.3f", c * 1000 / n; else print "n/a" }'; }
mon_pp=$(per_probe "$mon_cpu" "$mon_results"); bare_pp=$(per_probe "$bare_cpu" "$bare_probes"); bbx_pp=$(per_probe "$bbx_cpu" "$bbx_probes")
ratio_of() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
ratio=$(ratio_of "$mon_pp" "$bbx_pp"); bare_ratio=$(ratio_of "$bare_pp" "$bbx_pp"); over_bare=$(ratio_of "$mon_pp" "$bare_pp")
cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
cores=$(nproc); mem=$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
out="$root/bench/RESULTS-monitor.md"
# The "## History" section of the previous results (earlier runs' key figures, kept by hand) carries over.
history=""
[ -f "$out" ] && history=$(sed -n '/^## History/,$p' "$out")
cat >"$out" <<MD
# Monitor benchmark

Command: \`bench/monitor.sh\` ($targets HTTP targets, interval ${interval}s, ${seconds}s measured after a ${warmup}s warm-up, local nginx)
Machine: $cpu, $cores cores, $mem; load average before $load_before, after $load_after
Date: $(date -u +%Y-%m-%dT%H:%MZ)

## faultline monitor (\`--format json --store sqlite:...\`)

| measure | value | goal |
|---|---|---|
| results in the window | $mon_results | $((targets * seconds / interval)) due |
| schedule lag | $(sed 's/results=[0-9]* //; s/ failed=.*//; s/_ms=/ /g; s/lag_//g' <<<"$lag") (ms) | p99 < 100 ms |
| failed probes | $(sed 's/.*failed=//' <<<"$lag") | 0 |
| CPU | ${mon_cpu} s over ${seconds} s | |
| RSS | average $rss_avg MB, peak $((peak / 1024)) MB | < 150 MB |
| CPU per probe | $mon_pp ms | |

## bare .NET probe loop (bench/MonitorBench \`bare\`, same URLs, same rate, same run)

A new connection per probe with the HttpClient/SocketsHttpHandler settings of Faultline's http probe, and
nothing else (no scheduler, conditions, classification, state machine or storage): the floor of probing in .NET,
in a process with the runtime settings of the faultline CLI (thread-pool \`UnfairSemaphoreSpinLimit\` 0).

| measure | value |
|---|---|
| probes | $bare_out |
| CPU | ${bare_cpu} s over ${seconds} s |
| peak RSS | $((bare_peak / 1024)) MB |
| CPU per probe | $bare_pp ms |

## prometheus-blackbox-exporter $(prometheus-blackbox-exporter --version 2>&1 | head -1 | awk '{ print $3 }') (same URLs, same rate, same run)

| measure | value |
|---|---|
| probes | $scrape |
| CPU | ${bbx_cpu} s over ${seconds} s |
| peak RSS | $((bbx_peak / 1024)) MB |
| CPU per probe | $bbx_pp ms |

## CPU per probe, same run

| | ms per probe | / blackbox_exporter |
|---|---|---|
| faultline monitor | $mon_pp | **$ratio** (goal <= 0.5) |
| bare .NET probe loop | $bare_pp | $bare_ratio |
| prometheus-blackbox-exporter | $bbx_pp | 1 |

faultline / bare loop: $over_bare (what the monitor adds to the probe itself).
Faultline's figure includes what blackbox_exporter leaves to Prometheus: scheduling, condition
evaluation, classification, the state machine and writing every result to SQLite. The scrape driver
that stands in for Prometheus runs in its own process and is not counted for blackbox_exporter.
MD
[ -n "$history" ] && printf '\n%s\n' "$history" >>"$out"
cat "$out"
