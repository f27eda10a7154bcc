#!/usr/bin/env bash
# Prints app-java's throughput and p95 latency under a short k6 load (include/k6/app-java/
# load.js with constant VUs and no think time), after a JIT warm-up that is not measured.
# Builds the jar first if needed. Output, last line:
#   app-java bench: <req/s> req/s, p95 <ms> ms, failed <%> % (<vus> VUs, <duration>)
#   BENCH_VUS (10), BENCH_DURATION (20s), BENCH_WARMUP (5s), K6_SUMMARY_PATH
#   (target/k6-bench-summary.json), K6 (k6 path)
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

VUS=${BENCH_VUS:-10}
DURATION=${BENCH_DURATION:-20s}
WARMUP=${BENCH_WARMUP:-5s}
SUMMARY=${K6_SUMMARY_PATH:-$APP_DIR/target/k6-bench-summary.json}
SCENARIO=$REPO_DIR/include/k6/app-java/load.js
command -v python3 >/dev/null || die "python3 not found (reads the k6 summary)"

require_tools
app_build
app_start

run_load() { # duration summary-path
  BASE_URL="http://127.0.0.1:$APP_PORT" K6_VUS="$VUS" K6_DURATION="$1" THINK_TIME_S=0 \
    K6_SUMMARY_PATH="$2" "$K6" run --quiet --no-color "$SCENARIO" >&2
}

set +e
run_load "$WARMUP" "$APP_DIR/target/k6-warmup-summary.json"
rm -f "$SUMMARY"
run_load "$DURATION" "$SUMMARY"
rc=$?
set -e
app_stop
# 99: thresholds crossed; the figures are still the result of the bench.
[[ $rc -eq 0 || $rc -eq 99 ]] || die "k6 failed with exit code $rc"
[[ -s $SUMMARY ]] || die "k6 wrote no summary to $SUMMARY"

python3 - "$SUMMARY" "$VUS" "$DURATION" <<'PY'
import json
import sys

path, vus, duration = sys.argv[1:4]
metrics = json.load(open(path))["metrics"]
rate = metrics["http_reqs"]["values"]["rate"]
p95 = metrics["http_req_duration"]["values"]["p(95)"]
failed = metrics["http_req_failed"]["values"]["rate"] * 100
print(f"app-java bench: {rate:.1f} req/s, p95 {p95:.1f} ms, failed {failed:.2f} % "
      f"({vus} VUs, {duration})")
PY
