#!/usr/bin/env bash
# k6 smoke of app-python on this machine: moto_server + bootstrap + API + worker, then
# include/k6/app-python/smoke.js with the real k6; everything stopped afterwards (also on
# failure or Ctrl-C). Exit code: k6's. Environment: K6_DURATION (10s), K6_VUS (1),
# K6_SUMMARY_PATH (k6-smoke-summary.json), PRICING_URL (empty: local prices).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
repo="$(cd "${here}/../.." && pwd)"
export K6_SCENARIOS_DIR="${K6_SCENARIOS_DIR:-${repo}/include/k6}"
uv sync --quiet --frozen --project "${here}"
exec uv run --quiet --frozen --project "${here}" python -m orders.devtools.k6_smoke "$@"
