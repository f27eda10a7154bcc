#!/usr/bin/env bash
# Runs the k6 smoke scenario (include/k6/app-java/smoke.js) against app-java started from its
# jar on a free loopback port; builds the jar first if it is missing or stale. Exits with k6's
# exit code (0 = all thresholds passed, 99 = a threshold failed), or 2 if it could not run.
#   K6_DURATION (10s), K6_VUS (1), K6_SUMMARY_PATH (target/k6-smoke-summary.json), K6 (k6 path)
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_tools
app_build
app_start

set +e
BASE_URL="http://127.0.0.1:$APP_PORT" \
  K6_DURATION="${K6_DURATION:-10s}" K6_VUS="${K6_VUS:-1}" \
  K6_SUMMARY_PATH="${K6_SUMMARY_PATH:-$APP_DIR/target/k6-smoke-summary.json}" \
  "$K6" run --quiet --no-color "$REPO_DIR/include/k6/app-java/smoke.js"
rc=$?
set -e
app_stop
exit "$rc"
