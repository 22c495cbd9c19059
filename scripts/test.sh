#!/usr/bin/env bash
# Runs every Faultline test against the local services and prints, as its last line,
#   N passed, N failed, N skipped
#
#   scripts/test.sh [--fast] [--stop] [-- extra dotnet test arguments, e.g. --filter Category=x]
#
# Brings the services up (scripts/services.sh up), exports services.env, builds the solution in
# Release, then runs the test projects one after another (-m:1): several suites drive the same
# PostgreSQL and Redis to their limits (max_connections, maxmemory), so they must not overlap.
# --fast: only the tests that need no server (no services started, no lab; classes marked
# [Trait(TestTiers.Name, TestTiers.Services)] are left out, an extra --filter is combined with that;
# no shared servers, so two test projects run at once).
# TRX files go to .faultline/test-results (FAULTLINE_TEST_RESULTS overrides). Services keep running
# afterwards unless --stop is given. Exit code: 0 when the build succeeded and no test failed.
set -uo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
SERVICES=$SCRIPT_DIR/services.sh

STOP=0
FAST=0
# Test projects run one at a time against the shared servers (the fast tier runs two at once).
PROJECTS=1
EXTRA=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --stop) STOP=1; shift ;;
    --fast) FAST=1; shift ;;
    --) shift; EXTRA=("$@"); break ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) printf 'test.sh: unknown argument %s (try --help)\n' "$1" >&2; exit 2 ;;
  esac
done

RESULTS_DIR=${FAULTLINE_TEST_RESULTS:-$REPO_ROOT/.faultline/test-results}
STOPPED=0

stop_services() {
  if ((STOP && !STOPPED)); then
    STOPPED=1
    "$SERVICES" down
  fi
}
# On interruption or an early exit, still stop what --stop promised to stop (quietly: the summary
# line must stay last).
trap 'if ((STOP && !STOPPED)); then STOPPED=1; "$SERVICES" down >/dev/null 2>&1; fi' EXIT

summary() { # → "passed failed skipped" summed over every TRX in the results dir
  local files=()
  shopt -s nullglob
  files=("$RESULTS_DIR"/*.trx)
  shopt -u nullglob
  if [[ ${#files[@]} -eq 0 ]]; then
    printf '0 0 0\n'
    return
  fi
  # <Counters total=".." executed=".." passed=".." failed=".." error=".." timeout=".." aborted=".." notExecuted=".." .../>
  awk '
    /<Counters / {
      line = $0
      n = split("passed failed error timeout aborted notExecuted", names, " ")
      for (i = 1; i <= n; i++) {
        if (match(line, names[i] "=\"[0-9]+\"")) {
          v = substr(line, RSTART + length(names[i]) + 2, RLENGTH - length(names[i]) - 3)
          sum[names[i]] += v
        }
      }
    }
    END {
      printf "%d %d %d\n", sum["passed"], sum["failed"] + sum["error"] + sum["timeout"] + sum["aborted"], sum["notExecuted"]
    }' "${files[@]}"
}

cd "$REPO_ROOT" || exit 2

if ((FAST)); then
  # The server-free tier: no services; a --filter among the extra arguments is combined with the tier's.
  TIER='Tier!=services'
  combined=0
  for i in "${!EXTRA[@]}"; do
    if [[ ${EXTRA[$i]} == --filter && $((i + 1)) -lt ${#EXTRA[@]} ]]; then
      EXTRA[i + 1]="($TIER)&(${EXTRA[i + 1]})"
      combined=1
    fi
  done
  ((combined)) || EXTRA+=(--filter "$TIER")
  STOP=0
  # No shared servers: two test projects at once.
  PROJECTS=2
  # A test that starts a server without the trait fails at once, naming it (TestTiers.RequireServer).
  export FAULTLINE_TEST_TIER=fast
else
  if ! "$SERVICES" up --install; then
    printf 'test.sh: local services did not start (see above)\n' >&2
    stop_services >/dev/null 2>&1
    printf '0 passed, 0 failed, 0 skipped\n'
    exit 1
  fi
  ENV_FILE=$("$SERVICES" env)
  set -a
  # shellcheck disable=SC1090
  . "$ENV_FILE"
  set +a
fi

rm -rf "$RESULTS_DIR"
mkdir -p "$RESULTS_DIR"

status=0
if ! dotnet build Faultline.slnx -c Release -nologo -v:q; then
  printf 'test.sh: the build failed; no tests ran\n' >&2
  status=1
else
  dotnet test Faultline.slnx -c Release --no-build "-m:$PROJECTS" -nologo \
    --logger "trx;LogFilePrefix=faultline" --results-directory "$RESULTS_DIR" "${EXTRA[@]}"
  rc=$?
  if ((rc != 0)); then
    printf 'test.sh: dotnet test exited with %d\n' "$rc"
    status=1
  fi
fi

read -r passed failed skipped < <(summary)
((failed == 0)) || status=1
printf 'TRX results: %s\n' "$RESULTS_DIR"
stop_services
printf '%d passed, %d failed, %d skipped\n' "$passed" "$failed" "$skipped"
exit "$status"
