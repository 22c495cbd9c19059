#!/usr/bin/env bash
# Request-path pipeline overhead (BenchmarkDotNet, bench/PipelineBench): one call through the pipelines AddDependency
# registers (GetPipeline("db") and GetPipeline(FaultlinePipelines.Idempotent("db"))) with a closed breaker and a
# callback that completes at once, next to a bare Polly pipeline of the same strategies and options (the baseline of
# each category), the same strategies from Polly's own registry (AddResiliencePipeline), and the bare callback — all in
# the same run, so the ratios hold on a shared, noisy machine.
# Goals: under 1 µs per call, and no allocations beyond the bare Polly pipeline's.
# Job: one launch, 3 warm-up and 10 measured iterations per benchmark (16 benchmarks, ~5 minutes on 2 cores).
# Needs: python3 (apt-get install python3).
# Writes the "Request-path pipeline overhead" section of bench/RESULTS-aspnetcore.md (the rest of the file is kept).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
project="$root/bench/PipelineBench"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

command -v python3 >/dev/null || { echo "bench: python3 is missing; apt-get install python3" >&2; exit 2; }

echo "bench: building bench/PipelineBench (Release)..." >&2
dotnet build "$project" -c Release --nologo -v quiet >/dev/null

command="bash bench/pipeline.sh"
started=$(date -u +%Y-%m-%dT%H:%MZ)
load=$(cut -d" " -f1-3 /proc/loadavg)
cpu=$(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
mem=$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)
machine="$(nproc) cores ($cpu), $mem, Linux $(uname -r), .NET SDK $(dotnet --version)"
echo "# date: $started"
echo "# command: $command  ->  dotnet bench/PipelineBench/bin/Release/net10.0/PipelineBench.dll --filter '*'"
echo "# machine: $machine"
echo "# load average (1/5/15 min) at the start: $load"

# BenchmarkDotNet finds the project to generate its runner from by the working directory.
set +e
(cd "$project" && timeout 1200 dotnet bin/Release/net10.0/PipelineBench.dll --filter '*' --artifacts "$work/artifacts") >"$work/bdn.log" 2>&1
status=$?
set -e
load_after=$(cut -d" " -f1-3 /proc/loadavg)
echo "# load average (1/5/15 min) at the end: $load_after"
report="$work/artifacts/results/Faultline.Bench.PipelineBenchmarks-report-github.md"
csv="$work/artifacts/results/Faultline.Bench.PipelineBenchmarks-report.csv"
if [[ $status -ne 0 || ! -f "$report" || ! -f "$csv" ]]; then
  tail -50 "$work/bdn.log" >&2
  echo "bench: PipelineBench failed (exit $status)" >&2
  exit 1
fi
cat "$report"

BENCH_STARTED="$started" BENCH_MACHINE="$machine" BENCH_LOAD="$load" BENCH_LOAD_AFTER="$load_after" BENCH_COMMAND="$command" \
  python3 - "$report" "$csv" "$root/bench/RESULTS-aspnetcore.md" <<'PY'
import csv, os, re, sys

report, table_csv, results = sys.argv[1:4]
heading = "## Request-path pipeline overhead"

def nanoseconds(text):
    value, unit = text.replace(",", "").split()
    return float(value) * {"ns": 1, "μs": 1e3, "us": 1e3, "ms": 1e6, "s": 1e9}[unit]

def size(text):
    if text.strip() in ("-", "0 B"):
        return 0.0
    value, unit = text.replace(",", "").split()
    return float(value) * {"B": 1, "KB": 1024, "MB": 1024 ** 2}[unit]

rows = {}
for row in csv.DictReader(open(table_csv, encoding="utf-8")):
    rows[(row["Categories"], row["Method"])] = row

def ns(value):
    return f"{value:,.0f}" if abs(value) >= 10 else f"{value:.1f}"

notes = []
for category in sorted({c for c, _ in rows}, key=lambda c: (not c.startswith("plain"), c)):
    bare, registry, faultline = (rows[(category, m)] for m in ("BarePolly", "PollyRegistry", "Faultline"))
    fl_ns, bare_ns, reg_ns = (nanoseconds(r["Mean"]) for r in (faultline, bare, registry))
    fl_err, bare_err = (nanoseconds(r["Error"]) for r in (faultline, bare))
    fl_b, bare_b, reg_b = (size(r["Allocated"]) for r in (faultline, bare, registry))
    over = fl_ns - bare_ns
    within = f", within the two rows' error of ±{ns(fl_err + bare_err)} ns" if abs(over) <= fl_err + bare_err else ""
    if fl_ns < 1000:
        time_goal = f"time goal met ({ns(fl_ns)} ns < 1,000 ns)"
    else:
        time_goal = (f"time goal missed by {ns(fl_ns - 1000)} ns; bare Polly with the same strategies already takes "
                     f"{ns(bare_ns)} ns on this machine and Polly's registry pipeline {ns(reg_ns)} ns")
    extra = fl_b - bare_b
    if extra <= 0:
        alloc = f"allocation goal met ({fl_b:.0f} B per call, bare Polly {bare_b:.0f} B)"
    else:
        alloc = f"allocation goal missed: {fl_b:.0f} B per call, {extra:.0f} B more than bare Polly's {bare_b:.0f} B"
        if reg_b == fl_b:
            alloc += (" — Polly's registry pipeline of the same strategies allocates the same: the telemetry Polly.Extensions "
                      "gives every registry pipeline hands each event's result to its result formatter as an object, which boxes "
                      "a value-type result (Polly's TelemetryListenerImpl), so these bytes come with Polly's registry, "
                      "not with Faultline's strategies")
    notes.append(
        f"- **`{category}`**: Faultline {ns(fl_ns)} ns per call vs bare Polly {ns(bare_ns)} ns: {'+' if over >= 0 else ''}{ns(over)} ns "
        f"({fl_ns / bare_ns:.2f}×{within}) — the rejection translation, the nested breaker pipeline and the registry's "
        f"wrapper. Polly's registry pipeline with its telemetry (what `Faultline:PollyTelemetry: true` adds) takes "
        f"{ns(reg_ns)} ns and {reg_b:.0f} B. {time_goal[0].upper()}{time_goal[1:]}; {alloc}.")

text = open(report, encoding="utf-8").read()
text = text.replace("&#39;", "'").replace("&quot;", '"').rstrip("\n")
section = f"""{heading}

- Date: {os.environ["BENCH_STARTED"]}
- Machine: {os.environ["BENCH_MACHINE"]}
- Load average (1/5/15 min) at the start: {os.environ["BENCH_LOAD"]}; at the end: {os.environ["BENCH_LOAD_AFTER"]} (the machine is shared; compare rows of the same run, not runs)
- Command: `{os.environ["BENCH_COMMAND"]}` (bench/PipelineBench, BenchmarkDotNet, Release; one launch, 3 warm-up and 10
  measured iterations per benchmark; `[MemoryDiagnoser]`)

One call with a closed breaker and a callback that completes at once: `ExecuteAsync(static _ => ValueTask.CompletedTask, ct)`,
and `ExecuteAsync(static (state, _) => ValueTask.FromResult(state), 42, ct)` for `ValueTask<int>`. Rows: `Callback` the callback
alone; `BarePolly` (the baseline of each category) a hand-built `ResiliencePipelineBuilder` with the same strategies and
options — circuit breaker (FailureRatio 1.0, MinimumThroughput 3, SamplingDuration 30 s, BreakDuration 30 s) + timeout
(10 s), with retry (2 attempts, exponential, jitter) in front for the idempotent categories; `PollyRegistry` the same
strategies registered with Polly.Extensions' `AddResiliencePipeline` (what every pipeline from Polly's registry pays: its
telemetry and execution tracking); `Faultline` `GetPipeline("db")` (plain) or `GetPipeline(FaultlinePipelines.Idempotent("db"))`
(idempotent) from a service provider built with `AddFaultline` + `AddDependency` (Production profile; the dependency's
breaker, timeout and retries set to the same values; Polly telemetry off, the default).

{text}

Goals: under 1 µs per call; no allocations beyond the bare Polly pipeline's.

{chr(10).join(notes)}
"""

existing = open(results, encoding="utf-8").read() if os.path.exists(results) else "# Faultline.AspNetCore benchmarks\n"
lines = existing.splitlines(keepends=True)
start = next((i for i, l in enumerate(lines) if l.rstrip("\n") == heading), None)
if start is None:
    before, after = existing.rstrip("\n") + "\n", ""
else:
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    before, after = "".join(lines[:start]).rstrip("\n") + "\n", "".join(lines[end:])
with open(results, "w", encoding="utf-8") as out:
    out.write(before + "\n" + section + ("\n" + after if after else ""))
print()
print("\n".join(notes))
PY
echo "bench: wrote the \"Request-path pipeline overhead\" section of bench/RESULTS-aspnetcore.md" >&2
